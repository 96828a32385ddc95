/**
 * npm run bench:token — client_credentials tokens per second over HTTPS keep-alive with N concurrent clients,
 * printed beside (a) the raw RS256 signing rate measured in this run (the limit: a token costs at least one
 * signature) and (b) node-oidc-provider issuing JWT access tokens for client_credentials (the peer), plus RSS.
 *
 * Each server runs in a process of its own; the load generator (autocannon) runs here.
 * Flags: --connections N (default 16), --duration S (default 10).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { ensureCa } from "../src/server/tls.js";
import { BENCH_CA_DIR, numberFlag, pooledSigningRate, trustingBenchCa } from "./harness.js";
import { issueCertificate } from "../src/core/x509.js";
import { DEMO } from "../src/world/demo.js";

const connections = numberFlag("connections", 16);
const duration = numberFlag("duration", 10);
const caDir = BENCH_CA_DIR;

await trustingBenchCa(main);

function rawSigningRate(): number {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const input = Buffer.from(`${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify({ aud: "https://management.azure.com/", iss: "x", oid: "y", exp: 1 })).toString("base64url")}`);
  const end = Date.now() + 3000;
  let n = 0;
  while (Date.now() < end) {
    sign("sha256", input, privateKey);
    n++;
  }
  return n / 3;
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function load(url: string, body: string) {
  const result = await autocannon({
    url,
    method: "POST",
    connections,
    duration,
    pipelining: 1,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
  return { rate: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx, total: result.requests.total };
}

async function startSvcconn(): Promise<{ child: ChildProcess; login: string }> {
  const data = mkdtempSync(join(tmpdir(), "svcconn-bench-"));
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--memory", "--data", data, "--ports", "auto", "--json", "--log-level", "error", "--ca-dir", caDir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((ok) => createInterface({ input: child.stdout! }).once("line", ok));
  return { child, login: JSON.parse(line).login };
}

/** node-oidc-provider over HTTPS with the same CA, issuing RS256 JWT access tokens for client_credentials. */
async function startPeer(): Promise<{ child: ChildProcess; url: string }> {
  const dir = mkdtempSync(join(tmpdir(), "oidc-peer-"));
  const ca = await ensureCa(caDir);
  const leaf = await issueCertificate({ subject: "CN=localhost", notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000), ips: ["127.0.0.1"], dnsNames: ["localhost"], issuer: ca });
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "bench", alg: "RS256", use: "sig" };
  const script = join(dir, "peer.mjs");
  writeFileSync(
    script,
    `import https from "node:https";
import Provider from ${JSON.stringify(resolve("node_modules/oidc-provider/lib/index.js"))};
const server = https.createServer({ key: ${JSON.stringify(leaf.keyPem)}, cert: ${JSON.stringify(leaf.certPem)} });
server.listen(0, "127.0.0.1", () => {
  const port = server.address().port;
  const provider = new Provider("https://127.0.0.1:" + port, {
    clients: [{ client_id: "bench", client_secret: "bench-secret", grant_types: ["client_credentials"], redirect_uris: [], response_types: [], token_endpoint_auth_method: "client_secret_post" }],
    jwks: { keys: [${JSON.stringify(jwk)}] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => "https://management.azure.com/",
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: "api", audience: "https://management.azure.com/", accessTokenTTL: 3600, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } }),
      },
    },
  });
  server.on("request", provider.callback());
  console.log(JSON.stringify({ url: "https://127.0.0.1:" + port + "/token" }));
});
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((ok) => createInterface({ input: child.stdout! }).once("line", ok));
  return { child, url: JSON.parse(line).url };
}

async function main() {
  console.log(`bench:token — ${connections} connections, ${duration}s per run, Node ${process.version}`);
  const raw = rawSigningRate();
  const pooled = await pooledSigningRate();
  console.log(`raw RS256 signing: ${raw.toFixed(0)} signatures/s on one thread, ${pooled.toFixed(0)}/s on the thread pool (all cores)`);

  const svcconn = await startSvcconn();
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: DEMO.bootstrapAppId, client_secret: DEMO.bootstrapSecret, scope: "https://management.azure.com/.default" }).toString();
  const tokenUrl = `${svcconn.login}/${DEMO.tenantId}/oauth2/v2.0/token`;
  const check = await fetch(tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
  if (check.status !== 200) throw new Error(`svcconn token request failed: ${check.status} ${await check.text()}`);
  await load(tokenUrl, form); // warm-up
  const ours = await load(tokenUrl, form);
  const rss = rssKb(svcconn.child.pid!);
  svcconn.child.kill();

  const peer = await startPeer();
  const peerForm = new URLSearchParams({ grant_type: "client_credentials", client_id: "bench", client_secret: "bench-secret", scope: "api" }).toString();
  const peerCheck = await fetch(peer.url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: peerForm });
  const peerBody = (await peerCheck.json()) as { access_token?: string };
  if (peerCheck.status !== 200 || !peerBody.access_token?.includes(".")) throw new Error(`peer token request failed: ${peerCheck.status} ${JSON.stringify(peerBody)}`);
  await load(peer.url, peerForm);
  const theirs = await load(peer.url, peerForm);
  const peerRss = rssKb(peer.child.pid!);
  peer.child.kill();

  const row = (name: string, r: typeof ours, rssValue: number) =>
    `${name.padEnd(22)} ${r.rate.toFixed(0).padStart(8)}/s  ${((r.rate / raw) * 100).toFixed(1).padStart(6)}% of raw  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  errors ${r.errors}  RSS ${(rssValue / 1024).toFixed(0)} MiB`;
  console.log(row("svcconn", ours, rss));
  console.log(row("node-oidc-provider", theirs, peerRss));
  console.log(`svcconn / raw signing (one thread) = ${(ours.rate / raw).toFixed(2)} (target ≥ 0.70)`);
  console.log(`svcconn / raw signing (thread pool, no HTTP, no load generator) = ${(ours.rate / pooled).toFixed(2)}`);
  console.log(`svcconn / node-oidc-provider = ${(ours.rate / theirs.rate).toFixed(2)} (target > 1.00)`);
}
