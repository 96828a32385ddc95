import { createServer, type Server } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { Agent, fetch as undiciFetch, ProxyAgent } from "undici";
import type { RunningServer } from "../../src/server/start.js";
import { testServer } from "../helpers/runtime.js";

// Issue 22, item 5: with svcconn bound to another loopback address, its proxy must reach svcconn's own listeners
// there, never whatever listens on 127.0.0.1 at the same port (another local user could answer IMDS with forged
// tokens). A foreign listener on 127.0.0.1 takes every listener's port; it must receive nothing.

const servers: RunningServer[] = [];
const foreign: Server[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const f of foreign) await new Promise((r) => f.close(r));
});

/** Listens on 127.0.0.1 at `port`, counting connections (a port svcconn holds on another address only). */
async function foreignListener(port: number): Promise<{ connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.end("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 29\r\n\r\n{\"access_token\":\"forged-aaa\"}");
  });
  await new Promise<void>((listening, failed) => server.once("error", failed).listen(port, "127.0.0.1", () => listening()));
  foreign.push(server);
  return { connections: () => connections };
}

describe.each(["127.0.0.2", "::1"])("svcconn bound to %s", (host) => {
  it("its proxy joins tunnels and IMDS requests to that address, and its certificate names it", async () => {
    const port = (url: string) => Number(new URL(url).port);
    // The foreign listeners need svcconn's ports free on 127.0.0.1; another test's process may hold one by chance
    // (ports are ephemeral): then svcconn starts again on other ports.
    let server: RunningServer | undefined;
    let watchers: Array<{ connections: () => number }> = [];
    for (let attempt = 0; attempt < 5 && !watchers.length; attempt++) {
      server = await testServer({ host });
      servers.push(server);
      const started = server;
      watchers = await Promise.all([started.imds, started.arm, started.login].map((u) => foreignListener(port(u)))).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== "EADDRINUSE") throw error;
        for (const f of foreign.splice(0)) await new Promise((r) => f.close(r));
        return [];
      });
    }
    expect(watchers).toHaveLength(3);
    server = server!;
    const dispatcher = new ProxyAgent({ uri: server.proxy, requestTls: { servername: "management.azure.com" } });

    // Plain IMDS through the proxy: svcconn's own metadata listener answers (no VM named: no identity).
    const imds = await undiciFetch("http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/", { headers: { Metadata: "true" }, dispatcher });
    expect(imds.status).toBe(400);
    expect(await imds.text()).toContain("Identity not found");

    // A tunnel to management.azure.com reaches svcconn's ARM (an unauthenticated call: ARM's own 401).
    const armCall = await undiciFetch("https://management.azure.com/subscriptions?api-version=2022-12-01", { dispatcher });
    expect(armCall.status).toBe(401);
    expect(((await armCall.json()) as { error: { code: string } }).error.code).toBe("AuthenticationFailed");

    for (const watcher of watchers) expect(watcher.connections()).toBe(0);

    // The listeners' certificate names the bound address: a client that calls it by its address verifies it.
    const direct = await undiciFetch(`${server.arm}/metadata/endpoints?api-version=2022-09-01`, { dispatcher: new Agent() });
    expect(direct.status).toBe(200);
    await dispatcher.close();
  });
});
