import { describe, expect, it } from "vitest";
import { ROOT_CAUSE_CLASSES } from "../../src/doctor/catalog/define.js";
import { CATALOG } from "../../src/doctor/catalog/index.js";
import { explain } from "../../src/doctor/explain.js";
import { loadRealMessages, type RealMessage, sourceOf } from "./corpus.js";

// Issue 23: every diagnosis declares the root-cause class real messages are labelled with, `explain` returns it,
// and the real messages are split once by source (test/fixtures/explain-real, scripts/split-explain-real.ts).

describe("root-cause classes", () => {
  it("each diagnosis belongs to one of the 18 classes; only `unknown` to none", () => {
    for (const d of CATALOG) {
      if (d.id === "unknown") expect(d.rootCauseClass).toBeNull();
      else expect(ROOT_CAUSE_CLASSES, d.id).toContain(d.rootCauseClass);
    }
  });

  it("explain answers with the class of its diagnosis, and of each alternative", () => {
    const answer = explain("AADSTS7000222: The provided client secret keys for app '00000000-0000-0000-0000-000000000001' are expired.");
    expect(answer).toMatchObject({ id: "secret-expired", rootCauseClass: "secret_expired_or_invalid" });
    for (const a of answer.alternatives) expect(a.rootCauseClass).toBe(CATALOG.find((d) => d.id === a.id)!.rootCauseClass);
    expect(explain("nothing to see here").rootCauseClass).toBeNull();
  });

  it("an incident or throttling is not blamed on the connection either", () => {
    for (const text of ["AADSTS90061: Request to External OIDC endpoint failed.", "(TooManyRequests) Number of 'read' requests for subscription '***' exceeded. Please try again after '17' seconds."]) {
      expect(explain(text), text).toMatchObject({ id: "service-unavailable-or-throttled", rootCauseClass: "other" });
    }
  });

  it("a missing Azure DevOps role to create connections is the creator's permission, not the connection or Entra's guest rules", () => {
    const answer = explain("│ Error: Error creating service endpoint in Azure DevOps: You do not have permission to create a service connection. You need to be a Creator for service connections in this project.");
    expect(answer).toMatchObject({ id: "endpoint-creator-role-missing", rootCauseClass: "other" });
  });

  it("a storage or key vault refusal by its network rules is not blamed on the connection", () => {
    const storage = explain('Status=403 Code="AuthorizationFailure" Message="This request is not authorized to perform this operation."');
    expect(storage).toMatchObject({ id: "network-or-firewall", rootCauseClass: "other" });
    const vault = explain("Operation returned an invalid status code 'Forbidden'. Client address is not authorized and caller is not a trusted service. Client address: 52.162.1.1");
    expect(vault.rootCauseClass).toBe("other");
    // A missing data role is a role, not the network.
    const role = explain('Status=403 Code="AuthorizationPermissionMismatch" Message="This request is not authorized to perform this operation using this permission."');
    expect(role.rootCauseClass).not.toBe("other");
  });

  it("the real messages are split by source: no repository or site on both sides, at least 35 % held out, no collectors' notes", () => {
    const development: Array<RealMessage & { note?: string }> = loadRealMessages("development");
    const heldOut: Array<RealMessage & { note?: string }> = loadRealMessages("held-out");
    const seen = new Set(development.map((e) => sourceOf(e.source)));
    expect(heldOut.filter((e) => seen.has(sourceOf(e.source)))).toEqual([]);
    expect(heldOut.length / (heldOut.length + development.length)).toBeGreaterThanOrEqual(0.35);
    expect([...development, ...heldOut].some((e) => e.note !== undefined)).toBe(false);
  });
});
