import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from "node:http";
import { connect, isIP, type Socket } from "node:net";
import type { Logger } from "pino";
import { PLANES, type Plane } from "../core/config.js";
import { IMDS_HOST, planeForHost } from "./real-hosts.js";

export interface ProxyOptions {
  /** The local port of each listener, once it listens. */
  portOf: (plane: Plane) => number | undefined;
  /**
   * The address the listeners are bound to: every tunnel and forwarded request goes there, never to another
   * address on the same port (where another local user could be listening).
   */
  listenerHost: string;
  logger: Logger;
  /** Told of each tunnel to the vault listener and who opened it (Key Vault's firewall judges where calls come from). */
  vaultTunnels?: { opened(localPort: number, proxyAuthorization: string | undefined): void; closed(localPort: number): void };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway" };

/** An answer on a raw socket (a CONNECT that is refused), then closed. */
function refuseSocket(socket: Socket, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

function refuse(response: ServerResponse, status: number, message: string): void {
  if (response.headersSent) return void response.destroy();
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", connection: "close" }).end(`${message}\n`);
}

const notServed = (host: string) =>
  `svcconn proxy: refusing ${host}: svcconn answers only for the Microsoft hosts it emulates (login.microsoftonline.com, graph.microsoft.com, management.azure.com, dev.azure.com, *.visualstudio.com, *.vault.azure.net, 169.254.169.254) and never connects anywhere else.`;

/** `host:port` of a CONNECT request; undefined when it is not one. */
function authority(target: string | undefined): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(target ?? "");
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1]!.replace(/^\[|\]$/g, "").toLowerCase(), port };
}

/**
 * svcconn's forward proxy for real-host mode. `CONNECT host:443` to a Microsoft host svcconn emulates is joined to
 * that plane's own HTTPS listener (whose certificate names the host; the client's Host header reaches it unchanged,
 * so issuers and links name the real host). Plain `http://169.254.169.254/…` goes to the instance-metadata listener
 * with its Proxy-Authorization (which names the caller's VM). Anything else is refused with 403: the proxy never
 * opens a connection outside svcconn.
 */
export function createProxy(options: ProxyOptions): Server & { closeTunnels(): void } {
  const server = createServer((request, response) => forwardPlain(request, response, options));
  const tunnelVm = new WeakMap<Socket, string | undefined>();
  const metadataTunnels = createServer((request, response) => {
    const port = options.portOf("imds");
    if (!port) return refuse(response, 502, "svcconn proxy: the imds listener is not listening.");
    const vm = tunnelVm.get(request.socket as Socket);
    const headers = { ...request.headers, ...(vm ? { "proxy-authorization": vm } : {}) };
    return pass(request, response, options.listenerHost, port, `http://${IMDS_HOST}${request.url ?? "/"}`, headers);
  });
  // Tunnels leave the HTTP server's bookkeeping: kept here so stopping svcconn ends them.
  const tunnels = new Set<Socket>();
  server.on("connect", (request: IncomingMessage, client: Socket, head: Buffer) => {
    tunnels.add(client);
    client.on("close", () => tunnels.delete(client));
    client.on("error", () => client.destroy());
    const target = authority(request.url);
    if (!target) return refuseSocket(client, 400, `svcconn proxy: CONNECT needs host:port, not '${String(request.url).slice(0, 200)}'.`);
    // svcconn's own listeners by their loopback URLs too (clients that send everything through a proxy, such as
    // the task libraries with AGENT_PROXYURL): still nothing outside svcconn.
    const own = LOOPBACK.has(target.host) || target.host === options.listenerHost ? PLANES.find((p) => options.portOf(p) === target.port) : undefined;
    const plane = own ?? (target.host === IMDS_HOST ? (target.port === 80 ? "imds" : undefined) : target.port === 443 ? planeForHost(target.host) : undefined);
    if (!plane) return refuseSocket(client, 403, target.port !== 443 && planeForHost(target.host) ? `svcconn proxy: ${target.host} is served on port 443 only, not ${target.port}.` : notServed(target.host));
    const port = options.portOf(plane);
    if (!port) return refuseSocket(client, 502, `svcconn proxy: the ${plane} listener is not listening.`);
    if (plane === "imds" && target.host === IMDS_HOST) {
      // A tunnel to the metadata service (undici tunnels plain HTTP too): its requests are read here so the VM the
      // CONNECT named (Proxy-Authorization) goes with each of them.
      tunnelVm.set(client, request.headers["proxy-authorization"]);
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) client.unshift(head);
      metadataTunnels.emit("connection", client);
      return;
    }
    const upstream = connect({ host: options.listenerHost, port });
    upstream.on("error", () => {
      refuseSocket(client, 502, `svcconn proxy: the ${plane} listener did not answer.`);
      client.destroy();
    });
    upstream.once("connect", () => {
      if (client.destroyed) return void upstream.destroy();
      if (plane === "vault" && upstream.localPort) {
        const localPort = upstream.localPort;
        options.vaultTunnels?.opened(localPort, request.headers["proxy-authorization"]);
        upstream.once("close", () => options.vaultTunnels?.closed(localPort));
      }
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  // A client that sends garbage or hangs up mid-request gets a 400 or nothing; the proxy goes on.
  server.on("clientError", (_error, socket) => refuseSocket(socket as Socket, 400, "svcconn proxy: the request could not be read."));
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  return Object.assign(server, {
    closeTunnels() {
      for (const socket of tunnels) socket.destroy();
    },
  });
}

/** Absolute-form plain HTTP: the metadata service only; Microsoft's HTTPS hosts are told to use HTTPS. */
function forwardPlain(request: IncomingMessage, response: ServerResponse, options: ProxyOptions) {
  let url: URL;
  try {
    url = new URL(request.url ?? "");
  } catch {
    return refuse(response, 400, "svcconn proxy: this is a forward proxy; send absolute URLs (http://host/path), or CONNECT for HTTPS.");
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const imdsPort = options.portOf("imds");
  if (url.protocol === "http:" && (LOOPBACK.has(host) || host === options.listenerHost) && imdsPort && Number(url.port || 80) === imdsPort) {
    // svcconn's own metadata listener by its loopback URL: passed on as the request it is.
    return pass(request, response, options.listenerHost, imdsPort, `${url.pathname}${url.search}`);
  }
  if (url.protocol !== "http:") return refuse(response, 400, `svcconn proxy: only http:// URLs are forwarded as plain requests; use CONNECT for ${url.protocol}//${host}.`);
  if (host !== IMDS_HOST || (url.port && url.port !== "80")) {
    if (planeForHost(host)) return refuse(response, 400, `svcconn proxy: ${host} is served over HTTPS only; use https://${host}${url.pathname}.`);
    return refuse(response, 403, notServed(isIP(host) ? host : url.host));
  }
  if (!imdsPort) return refuse(response, 502, "svcconn proxy: the imds listener is not listening.");
  // The metadata listener reads absolute-form requests itself (and the VM from Proxy-Authorization).
  return pass(request, response, options.listenerHost, imdsPort, url.href);
}

function pass(request: IncomingMessage, response: ServerResponse, host: string, port: number, path: string, headers = request.headers) {
  const upstream = httpRequest({ host, port, method: request.method, path, headers }, (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(response);
  });
  upstream.on("error", () => refuse(response, 502, "svcconn proxy: the imds listener did not answer."));
  request.pipe(upstream);
}
