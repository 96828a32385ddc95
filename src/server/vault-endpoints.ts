import { createServer, type Server } from "node:net";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { NetworkOrigin } from "../keyvault/model.js";
import { HOSTED_AGENT_PROXY_USER } from "../pipelines/runner/agent-env.js";
import { vaultOfHost } from "./real-hosts.js";

/**
 * Where each key vault answers. Through Microsoft's host (`{vault}.vault.azure.net`, real-host mode) the vault
 * listener finds the vault by the host; by svcconn's own URL a vault gets a port of its own, joined to the same
 * listener, because Key Vault clients parse identifiers as `https://{host}/secrets/{name}/{version}` with no room
 * for a vault in the path. Ports are opened when a vault is first shown (its `vaultUri`) and live as long as this
 * process: in-memory routing, not state.
 *
 * The proxy tells which tunnel came from where (a step on a Microsoft-hosted agent, a VM of the world): the vault
 * firewall judges that address, as Key Vault judges the public address a call comes from.
 */
export class VaultEndpoints {
  private readonly vaultByPort = new Map<number, string>();
  private readonly portByVault = new Map<string, Promise<number>>();
  private readonly servers: Server[] = [];
  /** Proxy tunnels by the local port of their connection to the vault listener. */
  private readonly tunnels = new Map<number, NetworkOrigin>();

  constructor(
    private readonly listener: () => FastifyInstance,
    private readonly bindHost: () => string,
  ) {}

  /** The vault's URI by svcconn's URL (`https://127.0.0.1:{port}/`), opening its port on first use. */
  async uri(vault: string, urlHost: string): Promise<string> {
    const key = vault.toLowerCase();
    let port = this.portByVault.get(key);
    if (!port) {
      port = this.open(key);
      this.portByVault.set(key, port);
      port.catch(() => this.portByVault.delete(key));
    }
    return `https://${urlHost}:${await port}/`;
  }

  private open(vault: string): Promise<number> {
    const server = createServer((socket) => this.listener().server.emit("connection", socket));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, this.bindHost(), () => {
        const port = (server.address() as { port: number }).port;
        this.vaultByPort.set(port, vault);
        resolve(port);
      });
    });
  }

  vaultOf(request: FastifyRequest): string | undefined {
    return this.vaultByPort.get(request.socket.localPort ?? 0) ?? vaultOfHost(String(request.headers.host ?? ""));
  }

  /** A tunnel of the proxy to the vault listener, and who opened it (its Proxy-Authorization). */
  tunnelOpened(localPort: number, proxyAuthorization: string | undefined): void {
    this.tunnels.set(localPort, originOfProxyUser(proxyAuthorization));
  }

  tunnelClosed(localPort: number): void {
    this.tunnels.delete(localPort);
  }

  originOf(request: FastifyRequest): NetworkOrigin {
    return this.tunnels.get(request.socket.remotePort ?? 0) ?? LOCAL;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise((closed) => s.close(() => closed(undefined)))));
  }
}

/** This machine: what svcconn's own clients, and self-hosted agents on no VM, call from. */
const LOCAL: NetworkOrigin = { address: "127.0.0.1", kind: "local" };
/** A Microsoft-hosted agent calls from a public address of Azure's (not one a vault's firewall names). */
export const HOSTED_AGENT_ORIGIN: NetworkOrigin = { address: "52.191.40.17", kind: "microsoft-hosted-agent" };
/** A VM of the world reaches vaults from its private address. */
const VM_ORIGIN: NetworkOrigin = { address: "10.0.0.4", kind: "vm" };

function originOfProxyUser(header: string | undefined): NetworkOrigin {
  const basic = /^basic\s+(\S+)/i.exec(header ?? "");
  if (!basic) return LOCAL;
  const [user] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
  if (user === HOSTED_AGENT_PROXY_USER) return HOSTED_AGENT_ORIGIN;
  return user ? VM_ORIGIN : LOCAL;
}
