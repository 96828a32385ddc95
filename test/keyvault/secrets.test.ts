import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_ROLE_IDS } from "../../src/arm/builtin-roles.js";
import { realHostEnvironment } from "../../src/cli/env.js";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { armToken, principalWithToken, vaultToken } from "../helpers/arm.js";
import { clientModes } from "../helpers/client-modes.js";
import { runAz } from "../helpers/az.js";
import { testServer } from "../helpers/runtime.js";

// Azure Key Vault's secrets (issue 24): the wire format and its refusals through the vault listener, vaults as
// ARM resources, and the unchanged @azure/keyvault-secrets and Azure CLI.
const data = mkdtempSync(join(tmpdir(), "svcconn-vault-"));
const azPath = spawnSync("sh", ["-c", "command -v az"], { encoding: "utf8" }).stdout.trim();
const VAULT_HOST = `${DEMO.vault.name}.vault.azure.net`;
const VAULT_ID = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/${DEMO.vault.name}`;
let server: RunningServer;
let admin: string;

beforeAll(async () => {
  server = await testServer({ memory: false, dataDir: data });
  admin = await vaultToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
});
afterAll(async () => server?.close());

/** A data-plane call on the vault listener, addressed as `{vault}.vault.azure.net`. */
async function vault(token: string | undefined, method: string, path: string, body?: unknown, host = VAULT_HOST) {
  const response = await server.runtime.listeners.vault.inject({
    method: method as never,
    url: path.includes("api-version=") ? path : `${path}${path.includes("?") ? "&" : "?"}api-version=7.4`,
    headers: { host, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: response.statusCode, body: (response.body ? JSON.parse(response.body) : undefined) as any, headers: response.headers };
}

async function armCall(token: string, method: string, path: string, body?: unknown, host = "127.0.0.1") {
  const response = await server.runtime.listeners.arm.inject({
    method: method as never,
    url: `${path}?api-version=2023-07-01`,
    headers: { host, authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: response.statusCode, body: JSON.parse(response.body || "null") as any };
}

const bootstrapArm = () => armToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);

/** A vault of the test's own in rg-prod-app, made through ARM. */
async function makeVault(name: string, properties: Record<string, unknown>) {
  const made = await armCall(await bootstrapArm(), "PUT", `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/${name}`, { location: "westeurope", properties: { tenantId: DEMO.tenantId, sku: { family: "A", name: "standard" }, ...properties } });
  expect(made.status, JSON.stringify(made.body)).toBeLessThan(300);
  return made.body;
}

async function assignRole(principalId: string, roleId: string, scope: string) {
  const assigned = await armCall(await bootstrapArm(), "PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, {
    properties: { roleDefinitionId: `/subscriptions/${DEMO.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`, principalId, principalType: "ServicePrincipal" },
  });
  expect(assigned.status, JSON.stringify(assigned.body)).toBe(201);
  // Role assignments take effect after ARM's propagation delay.
  server.runtime.clock.advance(6 * 60);
}

describe("the vault listener speaks Key Vault", () => {
  it("answers a call without a token with the challenge clients read (tenant and resource)", async () => {
    const answer = await vault(undefined, "GET", "/secrets/sql-password");
    expect(answer.status).toBe(401);
    expect(answer.body.error).toEqual({ code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." });
    expect(answer.headers["www-authenticate"]).toBe(`Bearer authorization="https://login.microsoftonline.com/${DEMO.tenantId}", resource="https://vault.azure.net"`);
  });

  it("refuses a token for another resource, and one of another tenant", async () => {
    const wrong = await vault(await bootstrapArm(), "GET", "/secrets/sql-password");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toBe("AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com.");
    const fabrikam = await principalWithToken(server.runtime, "kv-other-tenant", DEMO.otherTenantId);
    const other = await vault(await vaultToken(server.runtime, fabrikam.appId, fabrikam.secret!, DEMO.otherTenantId), "GET", "/secrets/sql-password");
    expect(other.status).toBe(401);
    expect(other.body.error.message).toMatch(new RegExp(`^AKV10032: Invalid issuer\\. Expected one of https://sts\\.windows\\.net/${DEMO.tenantId}/, .* found https://.*${DEMO.otherTenantId}/`));
  });

  it("gets, sets, versions, lists, updates, soft-deletes, recovers and purges secrets", async () => {
    const seeded = await vault(admin, "GET", "/secrets/sql-password");
    expect(seeded.status).toBe(200);
    expect(seeded.body).toMatchObject({ value: DEMO.vault.secrets["sql-password"], id: expect.stringMatching(new RegExp(`^https://${VAULT_HOST}/secrets/sql-password/[0-9a-f]{32}$`)), attributes: { enabled: true, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 } });
    expect(seeded.headers["x-ms-keyvault-network-info"]).toBe("conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;");

    const set = await vault(admin, "PUT", "/secrets/deploy-token", { value: "v1", contentType: "text/plain", tags: { team: "platform" } });
    expect(set.status).toBe(200);
    const second = await vault(admin, "PUT", "/secrets/deploy-token", { value: "v2", attributes: { exp: 4_102_444_800 } });
    expect((await vault(admin, "GET", "/secrets/deploy-token")).body.value).toBe("v2");
    const firstVersion = set.body.id.split("/").pop();
    expect((await vault(admin, "GET", `/secrets/deploy-token/${firstVersion}`)).body).toMatchObject({ value: "v1", contentType: "text/plain", tags: { team: "platform" } });
    const versions = await vault(admin, "GET", "/secrets/deploy-token/versions");
    expect(versions.body.value.map((v: any) => v.id)).toEqual([set.body.id, second.body.id]);
    expect(versions.body.value[0]).not.toHaveProperty("value");

    const listed = await vault(admin, "GET", "/secrets");
    expect(listed.body.value.map((s: any) => s.id)).toEqual(expect.arrayContaining([`https://${VAULT_HOST}/secrets/deploy-token`, `https://${VAULT_HOST}/secrets/sql-password`]));
    expect(listed.body.nextLink).toBeNull();

    const disabled = await vault(admin, "PATCH", `/secrets/deploy-token/${second.body.id.split("/").pop()}`, { attributes: { enabled: false } });
    expect(disabled.body).toMatchObject({ attributes: { enabled: false, exp: 4_102_444_800 } });
    expect(disabled.body).not.toHaveProperty("value");
    const refused = await vault(admin, "GET", "/secrets/deploy-token");
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: "Forbidden", message: "Operation get is not allowed on a disabled secret.", innererror: { code: "SecretDisabled" } });

    const deleted = await vault(admin, "DELETE", "/secrets/deploy-token");
    expect(deleted.body).toMatchObject({ recoveryId: `https://${VAULT_HOST}/deletedsecrets/deploy-token`, deletedDate: expect.any(Number), scheduledPurgeDate: deleted.body.deletedDate + 90 * 86_400 });
    const gone = await vault(admin, "GET", "/secrets/deploy-token");
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toMatch(/^A secret with \(name\/id\) deploy-token was not found in this key vault\. If you recently deleted this secret/);
    const reuse = await vault(admin, "PUT", "/secrets/deploy-token", { value: "v3" });
    expect(reuse.status).toBe(409);
    expect(reuse.body.error).toEqual({
      code: "Conflict",
      message: "Secret deploy-token is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.",
      innererror: { code: "ObjectIsDeletedButRecoverable" },
    });
    expect((await vault(admin, "GET", "/deletedsecrets")).body.value.map((s: any) => s.recoveryId)).toEqual([`https://${VAULT_HOST}/deletedsecrets/deploy-token`]);
    expect((await vault(admin, "POST", "/deletedsecrets/deploy-token/recover")).status).toBe(200);
    expect((await vault(admin, "GET", `/secrets/deploy-token/${firstVersion}`)).body.value).toBe("v1");
    await vault(admin, "DELETE", "/secrets/deploy-token");
    expect((await vault(admin, "DELETE", "/deletedsecrets/deploy-token")).status).toBe(204);
    expect((await vault(admin, "PUT", "/secrets/deploy-token", { value: "fresh" })).status).toBe(200);
  });

  it("pages listings 25 at a time with a nextLink, and refuses bad names and bodies without writing", async () => {
    const paged = await makeVault("kv-svcconn-paging", { enableRbacAuthorization: true });
    void paged;
    await assignRole(DEMO.bootstrapServicePrincipalId, "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/kv-svcconn-paging`);
    const token = await vaultToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
    const host = "kv-svcconn-paging.vault.azure.net";
    for (let i = 0; i < 30; i++) expect((await vault(token, "PUT", `/secrets/s-${String(i).padStart(2, "0")}`, { value: `v${i}` }, host)).status).toBe(200);
    const first = await vault(token, "GET", "/secrets", undefined, host);
    expect(first.body.value).toHaveLength(25);
    const next = new URL(first.body.nextLink);
    expect(next.host).toBe(host);
    const rest = await vault(token, "GET", `${next.pathname}${next.search}`, undefined, host);
    expect(rest.body.value.map((s: any) => s.id.split("/").pop())).toEqual(["s-25", "s-26", "s-27", "s-28", "s-29"]);
    expect(rest.body.nextLink).toBeNull();
    expect((await vault(token, "PUT", "/secrets/bad_name", { value: "x" }, host)).body.error).toEqual({ code: "BadParameter", message: "The request URI contains an invalid name: bad_name" });
    expect((await vault(token, "PUT", "/secrets/no-value", { contentType: "x" }, host)).status).toBe(400);
    expect((await vault(token, "GET", "/secrets/no-value", undefined, host)).status).toBe(404);
  });
  it("forgets a deleted secret once its retention has passed on the clock", async () => {
    await vault(admin, "PUT", "/secrets/short-lived", { value: "x" });
    await vault(admin, "DELETE", "/secrets/short-lived");
    server.runtime.clock.advance(91 * 86_400);
    admin = await vaultToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
    expect((await vault(admin, "GET", "/deletedsecrets/short-lived")).status).toBe(404);
    expect((await vault(admin, "PUT", "/secrets/short-lived", { value: "y" })).status).toBe(200);
  });
});

describe("the vault listener's other refusals, each in Key Vault's format", () => {
  it("an unreadable or expired token, a missing api-version, a bad maxresults, a vault svcconn does not have", async () => {
    const garbage = await vault("not-a-jwt", "GET", "/secrets/sql-password");
    expect(garbage.status).toBe(401);
    expect(garbage.body.error).toEqual({ code: "Unauthorized", message: "AKV10022: Invalid token." });
    const noVersion = await server.runtime.listeners.vault.inject({ method: "GET", url: "/secrets/sql-password", headers: { host: VAULT_HOST, authorization: `Bearer ${admin}` } });
    expect(noVersion.statusCode).toBe(400);
    expect(JSON.parse(noVersion.body).error).toEqual({ code: "BadParameter", message: "The request URI contains an invalid or missing api-version" });
    const tooMany = await vault(admin, "GET", "/secrets?maxresults=26");
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toBe("invalid maxresults: 26. It must be between 1 and 25.");
    const unknown = await vault(admin, "GET", "/secrets/x", undefined, "kv-nowhere.vault.azure.net");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ code: "VaultNotFound", message: "No key vault answers at kv-nowhere.vault.azure.net: svcconn has no vault of that name." });
    const soon = await vaultToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
    server.runtime.clock.advance(2 * 3600);
    const expired = await vault(soon, "GET", "/secrets/sql-password");
    expect(expired.status).toBe(401);
    expect(expired.body.error).toEqual({ code: "Unauthorized", message: "[TokenExpired] Error validating token: 'S2S12086'." });
    admin = await vaultToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
  });

  it("public network access disabled refuses every caller (ForbiddenByConnection); purge protection keeps a deleted secret", async () => {
    await makeVault("kv-svcconn-private", { enableRbacAuthorization: true, publicNetworkAccess: "Disabled" });
    const privateId = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/kv-svcconn-private`;
    await assignRole(DEMO.bootstrapServicePrincipalId, BUILTIN_ROLE_IDS.KeyVaultSecretsOfficer, privateId);
    const token = await vaultToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
    const closed = await vault(token, "GET", "/secrets", undefined, "kv-svcconn-private.vault.azure.net");
    expect(closed.status).toBe(403);
    expect(closed.body.error).toEqual({
      code: "Forbidden",
      message: `Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: appid=${DEMO.bootstrapAppId};oid=${DEMO.bootstrapServicePrincipalId};iss=https://sts.windows.net/${DEMO.tenantId}/\r\nVault: kv-svcconn-private;location=westeurope`,
      innererror: { code: "ForbiddenByConnection" },
    });

    await makeVault("kv-svcconn-protected", { enableRbacAuthorization: true, enablePurgeProtection: true, softDeleteRetentionInDays: 7 });
    const protectedId = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/kv-svcconn-protected`;
    await assignRole(DEMO.bootstrapServicePrincipalId, BUILTIN_ROLE_IDS.KeyVaultSecretsOfficer, protectedId);
    const officer = await vaultToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
    const host = "kv-svcconn-protected.vault.azure.net";
    const set = await vault(officer, "PUT", "/secrets/kept", { value: "k" }, host);
    expect(set.body.attributes).toMatchObject({ recoveryLevel: "CustomizedRecoverable", recoverableDays: 7 });
    await vault(officer, "DELETE", "/secrets/kept", undefined, host);
    const purge = await vault(officer, "DELETE", "/deletedsecrets/kept", undefined, host);
    expect(purge.status).toBe(403);
    expect(purge.body.error.innererror).toEqual({ code: "PurgeProtected" });
    expect((await vault(officer, "GET", "/deletedsecrets/kept", undefined, host)).status).toBe(200);
  });
});

describe("who may read a secret: Azure RBAC data roles, access policies, the firewall", () => {
  it("RBAC vault: Contributor on the vault reads no secret (Key Vault's ForbiddenByRbac names caller and action); Key Vault Secrets User reads but cannot write", async () => {
    const app = await principalWithToken(server.runtime, "kv-reader");
    await assignRole(app.servicePrincipalId!, BUILTIN_ROLE_IDS.Contributor, VAULT_ID);
    const token = await vaultToken(server.runtime, app.appId, app.secret!);
    const refused = await vault(token, "GET", "/secrets/sql-password");
    expect(refused.status).toBe(403);
    expect(refused.body.error.innererror).toEqual({ code: "ForbiddenByRbac" });
    expect(refused.body.error.message).toBe(
      `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=${app.appId};oid=${app.servicePrincipalId};iss=https://sts.windows.net/${DEMO.tenantId}/\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '${VAULT_ID.toLowerCase()}/secrets/sql-password'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: ${DEMO.vault.name};location=westeurope\r\n`,
    );
    await assignRole(app.servicePrincipalId!, BUILTIN_ROLE_IDS.KeyVaultSecretsUser, VAULT_ID);
    expect((await vault(token, "GET", "/secrets/sql-password")).body.value).toBe(DEMO.vault.secrets["sql-password"]);
    const write = await vault(token, "PUT", "/secrets/sql-password", { value: "nope" });
    expect(write.status).toBe(403);
    expect(write.body.error.message).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'");
  });

  it("a role assigned on one secret reads that secret only", async () => {
    const app = await principalWithToken(server.runtime, "kv-one-secret");
    await assignRole(app.servicePrincipalId!, BUILTIN_ROLE_IDS.KeyVaultSecretsUser, `${VAULT_ID}/secrets/storage-key`);
    const token = await vaultToken(server.runtime, app.appId, app.secret!);
    expect((await vault(token, "GET", "/secrets/storage-key")).status).toBe(200);
    expect((await vault(token, "GET", "/secrets/sql-password")).status).toBe(403);
  });

  it("access-policy vault: the caller's secret permissions decide, with Key Vault's AccessDenied text", async () => {
    const app = await principalWithToken(server.runtime, "kv-policy");
    await makeVault("kv-svcconn-policy", { accessPolicies: [{ tenantId: DEMO.tenantId, objectId: app.servicePrincipalId!, permissions: { secrets: ["Get"] } }, { tenantId: DEMO.tenantId, objectId: DEMO.bootstrapServicePrincipalId, permissions: { secrets: ["all"] } }] });
    const host = "kv-svcconn-policy.vault.azure.net";
    const adminToken = await vaultToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
    expect((await vault(adminToken, "PUT", "/secrets/conn", { value: "c" }, host)).status).toBe(200);
    const token = await vaultToken(server.runtime, app.appId, app.secret!);
    expect((await vault(token, "GET", "/secrets/conn", undefined, host)).body.value).toBe("c");
    const list = await vault(token, "GET", "/secrets", undefined, host);
    expect(list.status).toBe(403);
    expect(list.body.error).toEqual({
      code: "Forbidden",
      message: `The user, group or application 'appid=${app.appId};oid=${app.servicePrincipalId};iss=https://sts.windows.net/${DEMO.tenantId}/' does not have secrets list permission on key vault 'kv-svcconn-policy;location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
      innererror: { code: "AccessDenied" },
    });
  });

  it("the firewall refuses an address its rules do not name, whatever the caller's rights", async () => {
    await makeVault("kv-svcconn-closed", { enableRbacAuthorization: true, networkAcls: { defaultAction: "Deny", bypass: "AzureServices", ipRules: [{ value: "203.0.113.0/24" }] } });
    const vaultId = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/kv-svcconn-closed`;
    await assignRole(DEMO.bootstrapServicePrincipalId, BUILTIN_ROLE_IDS.KeyVaultSecretsOfficer, vaultId);
    const token = await vaultToken(server.runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
    const refused = await vault(token, "PUT", "/secrets/x", { value: "x" }, "kv-svcconn-closed.vault.azure.net");
    expect(refused.status).toBe(403);
    expect(refused.body.error.innererror).toEqual({ code: "ForbiddenByFirewall" });
    expect(refused.body.error.message).toBe(`Client address is not authorized and caller is not a trusted service.\r\nClient address: 127.0.0.1\r\nCaller: appid=${DEMO.bootstrapAppId};oid=${DEMO.bootstrapServicePrincipalId};iss=https://sts.windows.net/${DEMO.tenantId}/\r\nVault: kv-svcconn-closed;location=westeurope`);
    await makeVault("kv-svcconn-closed", { enableRbacAuthorization: true, networkAcls: { defaultAction: "Deny", ipRules: [{ value: "127.0.0.1" }] } });
    expect((await vault(token, "PUT", "/secrets/x", { value: "x" }, "kv-svcconn-closed.vault.azure.net")).status).toBe(200);
  });
});

describe("vaults as ARM resources", () => {
  it("vaultUri is the vault's Microsoft host through management.azure.com, and its own svcconn port by svcconn's URL", async () => {
    const token = await bootstrapArm();
    const viaMicrosoft = await armCall(token, "GET", VAULT_ID, undefined, "management.azure.com");
    expect(viaMicrosoft.body.properties.vaultUri).toBe(`https://${DEMO.vault.name}.vault.azure.net/`);
    const viaSvcconn = await armCall(token, "GET", VAULT_ID);
    expect(viaSvcconn.body.properties.vaultUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const listed = await armCall(token, "GET", `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults`);
    expect(listed.body.value.find((v: any) => v.name === DEMO.vault.name).properties.vaultUri).toBe(viaSvcconn.body.properties.vaultUri);
  });
});

describe("@azure/keyvault-secrets, unchanged", () => {
  for (const mode of clientModes(() => server)) {
    it(`${mode.name}: get, set, list, delete and purge`, async () => {
      mode.enter();
      try {
        const credential = new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, mode.identity());
        const vaultUrl = mode.realHosts
          ? `https://${DEMO.vault.name}.vault.azure.net`
          : (await armCall(await bootstrapArm(), "GET", VAULT_ID)).body.properties.vaultUri;
        // By svcconn's URL the vault is a loopback address, which has no host name for the SDK's check that the
        // challenge's resource (vault.azure.net) matches the vault's domain: that check is turned off there.
        const client = new SecretClient(vaultUrl, credential, mode.realHosts ? {} : { disableChallengeResourceVerification: true });
        expect((await client.getSecret("sql-password")).value).toBe(DEMO.vault.secrets["sql-password"]);
        const name = `sdk-${mode.realHosts ? "real" : "local"}`;
        const set = await client.setSecret(name, "from the SDK", { contentType: "text/plain" });
        expect(set.properties.version).toMatch(/^[0-9a-f]{32}$/);
        const names: string[] = [];
        for await (const p of client.listPropertiesOfSecrets()) names.push(p.name);
        expect(names).toEqual(expect.arrayContaining(["sql-password", name]));
        const poller = await client.beginDeleteSecret(name, { intervalInMs: 10 });
        const deleted = await poller.pollUntilDone();
        expect(deleted.recoveryId).toBe(`${vaultUrl.replace(/\/$/, "")}/deletedsecrets/${name}`);
        await client.purgeDeletedSecret(name);
        await expect(client.getSecret(name)).rejects.toMatchObject({ statusCode: 404, code: "SecretNotFound" });
      } finally {
        mode.leave();
      }
    });
  }
});

// Debian's azure-cli 2.45 cannot run `az keyvault secret …` at all (its package lacks the azure.keyvault.v7_0 module
// those commands import: ModuleNotFoundError before any request), so the CLI is driven through `az rest`, which
// signs in for Key Vault's resource exactly as the keyvault commands do.
describe.skipIf(!azPath)("the Azure CLI, unchanged: az rest with a Key Vault token, in both client modes", () => {
  const az = (args: string[], env: NodeJS.ProcessEnv) => runAz(args, { PATH: process.env.PATH!, AZURE_CORE_COLLECT_TELEMETRY: "false", AZURE_CORE_ONLY_SHOW_ERRORS: "true", ...env });
  const login = ["login", "--service-principal", "-u", DEMO.bootstrapAppId, "-p", DEMO.bootstrapSecret, "--tenant", DEMO.tenantId, "--allow-no-subscriptions", "-o", "none"];

  it("real hosts: set and show a secret at https://{vault}.vault.azure.net", { timeout: 120_000 }, async () => {
    const env = { HOME: mkdtempSync(join(tmpdir(), "svcconn-az-kv-")), ...realHostEnvironment(data) };
    expect((await az(login, env)).code).toBe(0);
    const url = `https://${VAULT_HOST}/secrets/from-az?api-version=7.4`;
    const set = await az(["rest", "--method", "put", "--url", url, "--resource", "https://vault.azure.net", "--body", JSON.stringify({ value: "cli value" }), "-o", "json"], env);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ value: "cli value", id: expect.stringContaining(`https://${VAULT_HOST}/secrets/from-az/`) });
    const show = await az(["rest", "--url", `https://${VAULT_HOST}/secrets/sql-password?api-version=7.4`, "--resource", "https://vault.azure.net", "--query", "value", "-o", "tsv"], env);
    expect(show.stdout.trim(), show.stderr).toBe(DEMO.vault.secrets["sql-password"]);
  });

  it("svcconn URLs: a cloud registered at svcconn, the vault at the vaultUri ARM gives", { timeout: 120_000 }, async () => {
    const configDir = mkdtempSync(join(tmpdir(), "svcconn-az-kv-"));
    const env = { HOME: configDir, AZURE_CONFIG_DIR: configDir, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? "", REQUESTS_CA_BUNDLE: process.env.REQUESTS_CA_BUNDLE ?? "" };
    const cloud = { endpoints: { activeDirectory: `${server.login}/adfs`, activeDirectoryResourceId: "https://management.core.windows.net/", resourceManager: `${server.arm}/`, management: "https://management.core.windows.net/", microsoftGraphResourceId: `${server.graph}/` } };
    expect((await az(["cloud", "register", "-n", "svcconn", "--cloud-config", JSON.stringify(cloud)], env)).code).toBe(0);
    expect((await az(["cloud", "set", "-n", "svcconn"], env)).code).toBe(0);
    expect((await az(login, env)).code).toBe(0);
    const vaultUri = (await armCall(await bootstrapArm(), "GET", VAULT_ID)).body.properties.vaultUri;
    const show = await az(["rest", "--url", `${vaultUri}secrets/storage-key?api-version=7.4`, "--resource", "https://vault.azure.net", "--query", "value", "-o", "tsv"], env);
    expect(show.stdout.trim(), show.stderr).toBe(DEMO.vault.secrets["storage-key"]);
  });
});
