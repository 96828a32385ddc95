import { describe, expect, it } from "vitest";
import { DEMO, DEMO_WORLD_YAML } from "../../src/world/demo.js";
import { bootstrapFacts, parseWorld, WorldError } from "../../src/world/load.js";
import { testRuntime } from "../helpers/runtime.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

describe("world files", () => {
  it("parses the demo world and derives the bootstrap facts", () => {
    const world = parseWorld(DEMO_WORLD_YAML);
    expect(bootstrapFacts(world)).toEqual({ tenantId: DEMO.tenantId, clientId: DEMO.bootstrapAppId, clientSecret: DEMO.bootstrapSecret });
  });

  it("names the bad path", () => {
    const bad = (text: string) => {
      try {
        parseWorld(text);
      } catch (error) {
        expect(error).toBeInstanceOf(WorldError);
        return (error as WorldError).message;
      }
      throw new Error("expected an error");
    };
    expect(bad("tenants:\n  - key: a\n    displayName: A\n    defaultDomain: a.example\n    users:\n      - userPrincipalName: u@a.example\n        displayName: U\n        userType: Visitor\n")).toMatch(
      /tenants\.0\.users\.0\.userType/,
    );
    expect(bad("tenants: [")).toMatch(/not valid YAML/);
    expect(bad("tenants:\n  - key: a\n    displayName: A\n    defaultDomain: a.example\n    id: not-a-guid\n")).toMatch(/tenants\.0\.id: must be a GUID/);
    expect(bad("tenants:\n  - key: a\n    displayName: A\n    defaultDomain: a.example\n    users:\n      - userPrincipalName: u@a.example\n        displayName: U\n        directoryRoles: [Emperor]\n")).toMatch(
      /directoryRoles\.0: unknown directory role 'Emperor'/,
    );
    expect(bad("tenants: []\n")).toMatch(/^world: tenants: /);
    expect(bad("tenants:\n  - key: a\n    displayName: A\n    defaultDomain: a.example\n    surprise: 1\n")).toMatch(/tenants\.0/);
  });

  it("reports references that do not resolve with their path, and loads nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "svcconn-world-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      [
        "tenants:",
        "  - key: a",
        "    displayName: A",
        "    defaultDomain: a.example",
        "    users:",
        "      - userPrincipalName: guest@a.example",
        "        displayName: G",
        "        invitedFrom: { tenant: nowhere, userPrincipalName: x@y.example }",
      ].join("\n"),
    );
    await expect(testRuntime({ world: file })).rejects.toThrow(/tenants\.0\.users\.0\.invitedFrom\.tenant: unknown tenant 'nowhere'/);
  });

  it("loads the demo world into the directory with its fixed ids", async () => {
    const runtime = await testRuntime();
    try {
      const tenant = await runtime.store.tenants.getByDomain(DEMO.tenantDomain);
      expect(tenant?.id).toBe(DEMO.tenantId);
      const guest = await runtime.store.users.get(DEMO.tenantId, DEMO.users.guest.id);
      expect(guest).toMatchObject({ userType: "Guest", homeTenantId: DEMO.otherTenantId, homeUserId: DEMO.users.alex.id, passwordHash: null });
      const admin = await runtime.store.users.get(DEMO.tenantId, DEMO.users.admin.id);
      expect(admin?.passwordHash).toMatch(/^scrypt\$/);
      const passwords = await runtime.store.applications.passwords(DEMO.bootstrapAppObjectId);
      expect(passwords).toHaveLength(1);
      // Secrets are stored only as salted hashes.
      expect(passwords[0]!.secretHash).not.toContain(DEMO.bootstrapSecret);
      expect(passwords[0]!.hint).toBe(DEMO.bootstrapSecret.slice(0, 3));
      const roles = await runtime.store.users.roleAssignments(DEMO.tenantId, { principalId: DEMO.bootstrapServicePrincipalId });
      expect(roles.map((r) => r.roleTemplateId)).toEqual(["62e90394-69f5-4237-9190-012177145e10"]);
    } finally {
      await runtime.close();
    }
  });
});

describe("a connection whose creation failed, from a world file", () => {
  it("is stored failed with the file's message and no creation runs behind it", async () => {
    const runtime = await testRuntime({ world: "scenarios/doctor-faults.yaml" });
    try {
      await runtime.devops.creation.settled();
      const org = (await runtime.store.devops.organizations())[0]!;
      const endpoints = await runtime.store.devops.endpointsOfOrganization(org.id);
      const failed = endpoints.find(({ endpoint }) => endpoint.name === "connection-not-ready")!.endpoint;
      expect(failed).toMatchObject({ isReady: false, operationStatus: { state: "Failed", statusMessage: expect.stringMatching(/^Failed to create an app in Microsoft Entra\. Error: Insufficient privileges/) } });
      expect(failed.data).not.toHaveProperty("appObjectId");
    } finally {
      await runtime.close();
    }
  });
});
