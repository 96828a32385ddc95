/**
 * npm run bench:proxy — what real-host mode costs: client_credentials tokens per second from `svcconn serve` (its own
 * process) straight to the login listener, beside the same requests to https://login.microsoftonline.com through
 * svcconn's proxy (CONNECT tunnels), both over keep-alive with N concurrent clients; then with a new connection per
 * request (TLS handshake and, through the proxy, a CONNECT each time). Prints the rates and the ratios.
 * Flags: --connections N (default 8), --seconds S (default 5).
 */
import { spawn } from "node:child_process";
import { request as httpsRequest, Agent } from "node:https";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { HttpsProxyAgent } from "https-proxy-agent";
import { DEMO } from "../src/world/demo.js";
import { numberFlag } from "./harness.js";

const connections = numberFlag("connections", 8);
const seconds = numberFlag("seconds", 5);

const data = mkdtempSync(join(tmpdir(), "svcconn-bench-proxy-"));
const server = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--data", data, "--ports", "auto", "--json", "--log-level", "silent"], { stdio: ["ignore", "pipe", "inherit"] });
const ready = JSON.parse(await new Promise<string>((ok) => createInterface({ input: server.stdout! }).once("line", ok))) as { login: string; proxy: string; caFile: string };
const ca = readFileSync(ready.caFile);
const body = new URLSearchParams({ grant_type: "client_credentials", client_id: DEMO.bootstrapAppId, client_secret: DEMO.bootstrapSecret, scope: "https://management.azure.com/.default" }).toString();

function post(url: string, agent: Agent): Promise<void> {
  return new Promise((ok, fail) => {
    const req = httpsRequest(url, { method: "POST", agent, ca, headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? ok() : fail(new Error(`status ${res.statusCode}`))));
    });
    req.on("error", fail);
    req.end(body);
  });
}

/** Requests per second over `seconds` with `connections` in flight. */
async function rate(url: string, makeAgent: () => Agent): Promise<number> {
  const agent = makeAgent();
  await post(url, agent);
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        await post(url, agent);
        done++;
      }
    }),
  );
  agent.destroy();
  return done / seconds;
}

const direct = `${ready.login}/${DEMO.tenantId}/oauth2/v2.0/token`;
const byName = `https://login.microsoftonline.com/${DEMO.tenantId}/oauth2/v2.0/token`;
const keepAlive = { keepAlive: true, maxSockets: connections, ca };
const fresh = { keepAlive: false, ca };
const measures = {
  "keep-alive, direct": () => rate(direct, () => new Agent(keepAlive)),
  "keep-alive, by name through the proxy": () => rate(byName, () => new HttpsProxyAgent(ready.proxy, keepAlive)),
  "new connection each, direct": () => rate(direct, () => new Agent(fresh)),
  "new connection each, through the proxy": () => rate(byName, () => new HttpsProxyAgent(ready.proxy, fresh)),
};
const best: Record<string, number> = {};
// Two rounds, alternating, keeping each one's best: this machine's speed drifts.
for (let round = 0; round < 2; round++) {
  for (const [name, measure] of Object.entries(measures)) best[name] = Math.max(best[name] ?? 0, await measure());
}
server.kill("SIGTERM");

console.log(`bench:proxy — client_credentials tokens from svcconn serve (its own process), ${connections} in flight, best of 2 × ${seconds} s, Node ${process.version}`);
for (const [name, value] of Object.entries(best)) console.log(`  ${name.padEnd(40)} ${value.toFixed(0).padStart(6)} tokens/s`);
console.log(`through the proxy / direct: keep-alive ${(best["keep-alive, by name through the proxy"]! / best["keep-alive, direct"]!).toFixed(2)}, new connections ${(best["new connection each, through the proxy"]! / best["new connection each, direct"]!).toFixed(2)}`);
