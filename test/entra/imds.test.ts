import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { testRuntime } from "../helpers/runtime.js";

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});
afterAll(async () => runtime.close());

const UAMI_ID = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-agents/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${DEMO.managedIdentity.name}`;

async function imds(query: Record<string, string>, options: { vm?: string; metadata?: boolean } = {}) {
  const path = `${options.vm ? `/vms/${options.vm}` : ""}/metadata/identity/oauth2/token?${new URLSearchParams(query)}`;
  const response = await runtime.listeners.imds.inject({ method: "GET", url: path, headers: options.metadata === false ? {} : { metadata: "true" } });
  return { status: response.statusCode, body: response.json() as Record<string, any> };
}

describe("IMDS managed-identity endpoint", () => {
  const base = { "api-version": "2018-02-01", resource: "https://management.azure.com/" };

  it("issues the VM's system-assigned identity token with string-valued times", async () => {
    const result = await imds(base, { vm: DEMO.vm.name });
    expect(result.status).toBe(200);
    for (const field of ["expires_in", "expires_on", "not_before", "ext_expires_in"]) expect(typeof result.body[field]).toBe("string");
    expect(result.body).toMatchObject({ token_type: "Bearer", resource: "https://management.azure.com/", client_id: DEMO.vm.systemClientId });
    const claims = decodeJwt(result.body.access_token);
    expect(claims).toMatchObject({ oid: DEMO.vm.systemPrincipalId, appid: DEMO.vm.systemClientId, appidacr: "2", idtyp: "app", tid: DEMO.tenantId });
    expect(String(claims.xms_mirid)).toMatch(/\/virtualMachines\/agent-vm-1$/);
    expect(Number(result.body.expires_in)).toBeGreaterThan(80_000);
  });

  it("selects a user-assigned identity by client_id, object_id or msi_res_id", async () => {
    const selectors: Array<Record<string, string>> = [{ client_id: DEMO.managedIdentity.clientId }, { object_id: DEMO.managedIdentity.principalId }, { msi_res_id: UAMI_ID.toLowerCase() }];
    for (const selector of selectors) {
      const result = await imds({ ...base, ...selector }, { vm: DEMO.vm.name });
      expect(result.status, JSON.stringify(selector)).toBe(200);
      const claims = decodeJwt(result.body.access_token);
      expect(claims.oid).toBe(DEMO.managedIdentity.principalId);
      expect(claims.xms_mirid).toBe(UAMI_ID);
    }
  });

  it("answers the metadata service's errors", async () => {
    expect(await imds(base, { vm: DEMO.vm.name, metadata: false })).toEqual({
      status: 400,
      body: { error: "bad_request_102", error_description: "Required metadata header not specified" },
    });
    expect((await imds({ resource: "https://management.azure.com/" }, { vm: DEMO.vm.name })).body.error_description).toContain("api-version");
    expect(await imds({ "api-version": "2018-02-01" }, { vm: DEMO.vm.name })).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    expect(await imds({ ...base, client_id: "00000000-1111-4222-8333-444444444444" }, { vm: DEMO.vm.name })).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "Identity not found" },
    });
    const unknownResource = await imds({ ...base, resource: "https://nothing.example.com/" }, { vm: DEMO.vm.name });
    expect(unknownResource.status).toBe(400);
    expect(unknownResource.body.error).toBe("invalid_resource");
    expect(unknownResource.body.error_description).toMatch(/^AADSTS500011: /);
  });

  it("has no identity for a caller bound to no VM (a Microsoft-hosted agent) or to an unknown VM", async () => {
    expect((await imds(base)).body).toEqual({ error: "invalid_request", error_description: "Identity not found" });
    expect((await imds(base, { vm: "no-such-vm" })).body.error_description).toBe("Identity not found");
  });
});
