import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realHostEnvironment } from "../../src/cli/env.js";
import { issueCertificate } from "../../src/core/x509.js";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { runCli } from "../helpers/cli.js";
import { devops, ORG, PROJECT } from "../helpers/devops.js";
import { TEST_CA_DIR, testServer } from "../helpers/runtime.js";

// Real-host mode (issue 11): clients keep Microsoft's own URLs and reach svcconn through its proxy, with only the
// environment `svcconn env` prints.
const python3 = spawnSync("sh", ["-c", "command -v python3"], { encoding: "utf8" }).stdout.trim();
const azPath = spawnSync("sh", ["-c", "command -v az"], { encoding: "utf8" }).stdout.trim();
const data = mkdtempSync(join(tmpdir(), "svcconn-real-host-"));
let server: RunningServer;
let environment: Record<string, string>;
/** A listener of the test's own on another loopback port: nothing may ever reach it through the proxy. */
let bystander: Server;
let bystanderHits = 0;

const proxyPort = () => Number(new URL(server.proxy).port);

/** Sends raw bytes to the proxy and resolves with what it answers before closing (or after `ms`). */
function raw(bytes: string, ms = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(proxyPort(), "127.0.0.1");
    let answer = "";
    socket.on("data", (d) => (answer += d.toString("utf8")));
    socket.on("close", () => resolve(answer));
    socket.on("error", () => resolve(answer));
    socket.setTimeout(ms, () => socket.destroy());
    socket.write(bytes);
  });
}

/** A child process with nothing of the test's own environment but PATH and HOME, plus `svcconn env`'s lines. */
function inRealHostMode(file: string, args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { PATH: process.env.PATH!, HOME: data, ...environment, ...extra }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  server = await testServer({ memory: false, dataDir: data });
  environment = realHostEnvironment(data);
  bystander = createServer((socket) => {
    bystanderHits++;
    socket.destroy();
  });
  await new Promise<void>((ok) => bystander.listen(0, "127.0.0.1", ok));
}, 60_000);

afterAll(async () => {
  await server?.close();
  bystander?.close();
});

describe("svcconn env and svcconn exec", () => {
  it("names the proxy, the CA and an Azure CLI folder of its own", () => {
    expect(environment).toMatchObject({ HTTPS_PROXY: server.proxy, HTTP_PROXY: server.proxy, NODE_EXTRA_CA_CERTS: server.caFile, REQUESTS_CA_BUNDLE: server.caFile, AGENT_PROXYURL: server.proxy, AZURE_CONFIG_DIR: join(data, "azure-cli") });
    expect(environment.NO_PROXY).not.toContain("169.254.169.254");
  });

  it("prints it for bash, pwsh and fish, and runs one command with it", async () => {
    const bash = await runCli(["env", "--data", data]);
    expect(bash.stdout).toContain(`export HTTPS_PROXY='${server.proxy}'\n`);
    expect((await runCli(["env", "--data", data, "--shell", "pwsh"])).stdout).toContain(`$env:HTTPS_PROXY = '${server.proxy}'\n`);
    expect((await runCli(["env", "--data", data, "--shell", "fish", "--vm", DEMO.vm.name])).stdout).toContain(`set -gx HTTPS_PROXY '${server.proxy.replace("://", `://${DEMO.vm.name}:vm@`)}'\n`);
    const exec = await runCli(["exec", "--data", data, "--", process.execPath, "-e", "process.stdout.write(process.env.HTTPS_PROXY + ' ' + process.env.AZURE_CONFIG_DIR); process.exit(3)"]);
    expect(exec).toMatchObject({ code: 3, stdout: `${server.proxy} ${join(data, "azure-cli")}` });
    const none = await runCli(["env", "--data", join(data, "nowhere")]);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain(`no svcconn is running on ${join(data, "nowhere")}`);
    expect((await runCli(["env", "--data", join(data, "nowhere"), "--shell", "pwsh"])).stdout).toMatch(/^throw 'svcconn env: no svcconn is running on /);
  }, 60_000);

  it("where no svcconn runs, `eval \"$(svcconn env)\" && az login …` stops at eval: nothing reaches Microsoft's hosts", async () => {
    const cli = `node --import ${JSON.stringify(pathToFileURL(join(process.cwd(), "node_modules/tsx/dist/loader.mjs")).href)} ${JSON.stringify(join(process.cwd(), "src/cli/main.ts"))}`;
    // Were eval to succeed, az would run; it is a stand-in here that records that it did.
    const bin = mkdtempSync(join(tmpdir(), "svcconn-fake-az-"));
    writeFileSync(join(bin, "az"), `#!/bin/sh\necho az-ran >> ${JSON.stringify(join(bin, "ran"))}\n`, { mode: 0o755 });
    const script = `eval "$(${cli} env --data ${JSON.stringify(join(data, "nowhere"))})" && az login --service-principal -u x -p y --tenant z`;
    const shell = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}`, HOME: data } });
    expect(shell.status).not.toBe(0);
    expect(shell.stderr).toContain(`svcconn env: no svcconn is running on ${join(data, "nowhere")}`);
    expect(existsSync(join(bin, "ran"))).toBe(false);
  }, 60_000);
});

describe("svcconn clock", () => {
  it.skipIf(!azPath)("advance moves the clock and makes the Azure CLI of svcconn env ask for new tokens", async () => {
    const login = await inRealHostMode(azPath, ["login", "--service-principal", "-u", DEMO.bootstrapAppId, "-p", DEMO.bootstrapSecret, "--tenant", DEMO.tenantId, "-o", "none"]);
    expect(login.code, login.stderr).toBe(0);
    expect((await inRealHostMode(azPath, ["group", "list", "-o", "none"])).code).toBe(0);
    // Moved behind the CLI's back, its cached token has expired on svcconn's clock but not on the real one.
    const moved = await fetch(`${server.login}/_admin/clock`, { method: "POST", headers: { "x-svcconn-admin-key": server.adminKey, "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: 7200 }) });
    expect(moved.status).toBe(200);
    const stale = await inRealHostMode(azPath, ["group", "list", "-o", "none"]);
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toMatch(/ExpiredAuthenticationToken|expired/i);
    const advanced = await runCli(["clock", "advance", "1h", "--data", data, "--admin-key", server.adminKey]);
    expect(advanced.code, advanced.stderr).toBe(0);
    expect(advanced.stdout).toMatch(/^svcconn's clock now reads \S+ \(.+ ahead of the real clock\)\.\n/);
    expect(advanced.stdout).toMatch(/forgot [1-9]\d* cached access token\(s\); its next call asks svcconn again/);
    expect((await inRealHostMode(azPath, ["group", "list", "-o", "none"])).code).toBe(0);
    const shown = JSON.parse((await runCli(["clock", "show", "--json", "--data", data, "--admin-key", server.adminKey])).stdout);
    expect(shown.offsetSeconds).toBeGreaterThanOrEqual(10_800);
    const bad = await runCli(["clock", "advance", "soon", "--data", data, "--admin-key", server.adminKey]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("'soon' is not a duration") });
  }, 120_000);
});

describe("pipeline steps run in real-host mode", () => {
  it.skipIf(!python3)("a script step reaches login.microsoftonline.com and management.azure.com by name", async () => {
    const runtime = server.runtime;
    // Python's urllib follows https_proxy and trusts SSL_CERT_FILE, as the agent gives every step.
    const script = `python3 -c "import urllib.request, urllib.error, json\nprint(json.load(urllib.request.urlopen('https://login.microsoftonline.com/${DEMO.tenantId}/v2.0/.well-known/openid-configuration'))['issuer'])\ntry: urllib.request.urlopen('https://management.azure.com/subscriptions?api-version=2022-12-01')\nexcept urllib.error.HTTPError as e: print('arm', e.code)"`;
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "real-host", files: { "/ci.yml": `steps:\n  - script: ${JSON.stringify(script)}\n    displayName: By name\n` } });
    const created = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines`, { name: "real-host", configuration: { type: "yaml", path: "/ci.yml", repository: { name: "real-host" } } });
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${created.body.id}/runs`, {});
    await runtime.pipelines.settled();
    const timeline = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body;
    const step = timeline.records.find((r: { name: string }) => r.name === "By name");
    const log = String((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/logs/${step.log.id}`)).body);
    expect(log).toContain(`https://login.microsoftonline.com/${DEMO.tenantId}/v2.0\n`);
    // No token: ARM's own 401, from svcconn, reached by name.
    expect(log).toContain("arm 401");
  }, 60_000);

  it("Node's fetch in a step goes through svcconn's proxy too (the step gets the fetch proxy, as svcconn env gives it)", async () => {
    const runtime = server.runtime;
    const script = `node -e "fetch('https://management.azure.com/metadata/endpoints?api-version=2022-09-01').then((r) => console.log('by-name', r.status), (e) => console.log('fetch-failed', e.cause?.code ?? e.message))"`;
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "real-host-fetch", files: { "/ci.yml": `steps:\n  - checkout: none\n  - script: ${JSON.stringify(script)}\n    displayName: Fetch\n` } });
    const created = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines`, { name: "real-host-fetch", configuration: { type: "yaml", path: "/ci.yml", repository: { name: "real-host-fetch" } } });
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${created.body.id}/runs`, {});
    await runtime.pipelines.settled();
    const timeline = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body;
    const step = timeline.records.find((r: { name: string }) => r.name === "Fetch");
    const log = String((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/logs/${step.log.id}`)).body);
    expect(log).toContain("by-name 200");
  }, 60_000);
});

describe("the local CA", () => {
  it("can sign only for the names svcconn serves and loopback: a certificate for another name is refused by TLS", async () => {
    expect(spawnSync("openssl", ["x509", "-in", `${TEST_CA_DIR}/ca.crt`, "-noout", "-ext", "nameConstraints"], { encoding: "utf8" }).stdout).toMatch(/critical[\s\S]*DNS:login\.microsoftonline\.com[\s\S]*IP:127\.0\.0\.0\/255\.0\.0\.0/);
    // The CA's own key signs a certificate for a name outside its constraints; a client trusting the CA refuses it.
    const ca = { certPem: readFileSync(`${TEST_CA_DIR}/ca.crt`, "utf8"), keyPem: readFileSync(`${TEST_CA_DIR}/ca.key`, "utf8") };
    const rogue = await issueCertificate({ subject: "CN=www.example.com", notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), dnsNames: ["www.example.com"], issuer: ca });
    const tlsServer = createTlsServer({ cert: rogue.certPem + ca.certPem, key: rogue.keyPem }, (s) => s.end());
    await new Promise<void>((ok) => tlsServer.listen(0, "127.0.0.1", ok));
    const port = (tlsServer.address() as { port: number }).port;
    const error = await new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: "127.0.0.1", port, servername: "www.example.com", ca: ca.certPem }, () => resolve("connected"));
      socket.on("error", (e) => resolve(`${(e as NodeJS.ErrnoException).code}: ${e.message}`));
    });
    tlsServer.close();
    expect(error).toMatch(/permitted subtree violation/);
    expect(statSync(`${TEST_CA_DIR}/ca.key`).mode & 0o777).toBe(0o600);
  });
});

describe("the proxy refuses what svcconn does not serve, and sends nothing anywhere", () => {
  it("answers 403 naming the host for any other destination; the test's own listener receives nothing", async () => {
    const other = await raw(`CONNECT 127.0.0.1:${(bystander.address() as { port: number }).port} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(other).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*svcconn proxy: refusing 127\.0\.0\.1: svcconn answers only for the Microsoft hosts it emulates/);
    const external = await raw("CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n");
    expect(external).toMatch(/^HTTP\/1\.1 403 [\s\S]*refusing www\.example\.com/);
    const plain = await raw(`GET http://127.0.0.1:${(bystander.address() as { port: number }).port}/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(plain).toMatch(/^HTTP\/1\.1 403 /);
    expect(bystanderHits).toBe(0);
  });

  it("gives clear errors for bad input and survives a client that hangs up mid-handshake", async () => {
    expect(await raw("CONNECT nonsense HTTP/1.1\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 [\s\S]*CONNECT needs host:port/);
    expect(await raw("CONNECT login.microsoftonline.com:8443 HTTP/1.1\r\n\r\n")).toMatch(/^HTTP\/1\.1 403 [\s\S]*served on port 443 only/);
    expect(await raw("GET http://login.microsoftonline.com/common HTTP/1.1\r\nHost: login.microsoftonline.com\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 [\s\S]*served over HTTPS only; use https:\/\/login\.microsoftonline\.com\/common/);
    expect(await raw("GET /relative HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 [\s\S]*send absolute URLs/);
    expect(await raw("\x16\x03\x01 garbage\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    // Half a TLS handshake through a tunnel, then gone.
    await new Promise<void>((done) => {
      const socket: Socket = connect(proxyPort(), "127.0.0.1", () => socket.write("CONNECT login.microsoftonline.com:443 HTTP/1.1\r\n\r\n"));
      socket.once("data", () => {
        socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
        socket.destroy();
        done();
      });
    });
    // The proxy still answers.
    expect(await raw("CONNECT www.example.com:443 HTTP/1.1\r\n\r\n")).toMatch(/^HTTP\/1\.1 403 /);
  });
});

describe("official clients configured as for real Azure, with only svcconn env", () => {
  it("@azure/identity, the ARM SDK, msal-node, the Graph client and azure-devops-node-api reach svcconn under Microsoft's names", async () => {
    const run = await inRealHostMode(process.execPath, [join(process.cwd(), "test/fixtures/real-host/node-clients.mjs"), DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, DEMO.subscriptionId, DEMO.pats.admin]);
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout.trim().split("\n").pop()!);
    // Management tokens are v1 tokens in Entra: their issuer is sts.windows.net, as from the real service.
    expect(results.identity).toEqual({ ok: true, value: `https://sts.windows.net/${DEMO.tenantId}/` });
    expect(results.arm).toEqual({ ok: true, value: ["rg-agents", "rg-prod-app"] });
    expect(results.msal).toEqual({ ok: true, value: "Bearer" });
    expect(results.graph).toEqual({ ok: true, value: DEMO.tenantId });
    expect(results.devops).toEqual({ ok: true, value: ["web"] });
  }, 60_000);

  it("answers the older https://{org}.visualstudio.com form with links in that form, and the legacy issuer's discovery", async () => {
    const script = `const basic = "Basic " + Buffer.from(":" + process.argv[1]).toString("base64");
const projects = await (await fetch("https://contoso.visualstudio.com/_apis/projects?api-version=7.1", { headers: { authorization: basic } })).json();
const issuer = await (await fetch("https://vstoken.dev.azure.com/${DEMO.organization.id}/.well-known/openid-configuration")).json();
process.stdout.write(JSON.stringify({ url: projects.value[0].url, issuer: issuer.issuer }));`;
    const run = await inRealHostMode(process.execPath, ["--input-type=module", "-e", script, DEMO.pats.admin]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ url: `https://contoso.visualstudio.com/_apis/projects/${DEMO.project.id}`, issuer: `https://vstoken.dev.azure.com/${DEMO.organization.id}` });
  });

  it("a managed identity on a VM (svcconn env --vm): 169.254.169.254 through the proxy answers with the VM's identity", async () => {
    const onVm = realHostEnvironment(data, { vm: DEMO.vm.name });
    expect(onVm.HTTPS_PROXY).toBe(server.proxy.replace("://", `://${DEMO.vm.name}:vm@`));
    const script = `import { ManagedIdentityCredential } from "@azure/identity";
const token = await new ManagedIdentityCredential().getToken("https://management.azure.com/.default");
const claims = JSON.parse(Buffer.from(token.token.split(".")[1], "base64url").toString());
process.stdout.write(JSON.stringify({ oid: claims.oid, iss: claims.iss }));`;
    const run = await inRealHostMode(process.execPath, ["--input-type=module", "-e", script], onVm);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ oid: DEMO.vm.systemPrincipalId, iss: `https://sts.windows.net/${DEMO.tenantId}/` });
    // Off any VM (plain svcconn env), the metadata service has no identity for the caller, like a hosted agent.
    const offVm = await inRealHostMode(process.execPath, ["--input-type=module", "-e", script]);
    expect(offVm.code).not.toBe(0);
    if (!azPath) return;
    const az = await inRealHostMode(azPath, ["login", "--identity", "--allow-no-subscriptions", "--query", "[0].user", "-o", "json"], onVm);
    expect(az.code, az.stderr).toBe(0);
    expect(JSON.parse(az.stdout)).toMatchObject({ type: "servicePrincipal" });
  }, 60_000);

  it.skipIf(!azPath)("the Azure CLI with its built-in AzureCloud: login, group list, devops service-endpoint list — no cloud registration", async () => {
    const login = await inRealHostMode(azPath, ["login", "--service-principal", "-u", DEMO.bootstrapAppId, "-p", DEMO.bootstrapSecret, "--tenant", DEMO.tenantId, "--allow-no-subscriptions", "-o", "json"]);
    expect(login.code, login.stderr).toBe(0);
    const cloud = await inRealHostMode(azPath, ["cloud", "show", "--query", "name", "-o", "tsv"]);
    expect(cloud.stdout.trim()).toBe("AzureCloud");
    const groups = await inRealHostMode(azPath, ["group", "list", "--subscription", DEMO.subscriptionId, "--query", "[].name", "-o", "tsv"]);
    expect(groups.code, groups.stderr).toBe(0);
    expect(groups.stdout.trim().split("\n").sort()).toEqual(["rg-agents", "rg-prod-app"]);
    const endpoints = await inRealHostMode(azPath, ["devops", "service-endpoint", "list", "--organization", "https://dev.azure.com/contoso", "--project", "web", "-o", "json"], { AZURE_DEVOPS_EXT_PAT: DEMO.pats.admin });
    expect(endpoints.code, endpoints.stderr).toBe(0);
    expect(JSON.parse(endpoints.stdout)).toEqual([]);
    // The extension's "does not support Azure DevOps Server" warning depends on the URL only: gone with dev.azure.com.
    expect(endpoints.stderr).not.toContain("Azure DevOps Server");
  }, 120_000);
});
