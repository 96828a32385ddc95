import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { PLANES, type Plane, resolveConfig, type ConfigInput } from "../core/config.js";
import { createProxy } from "./proxy.js";
import { bootstrapFacts, devopsFacts, type BootstrapFacts } from "../world/load.js";
import { createRuntime, type Runtime } from "./runtime.js";
import { listenerAddress } from "./listener-address.js";

export type StartOptions = ConfigInput;

/** What `serve --json` prints once every listener accepts connections. */
/** Where a running instance of a data folder listens (written at start, removed at stop). */
export const INSTANCE_FILE = "instance.json";

export interface ReadyFacts {
  event: "ready";
  login: string;
  graph: string;
  arm: string;
  devops: string;
  imds: string;
  /** Key Vault's listener (vaults answer by `{name}.vault.azure.net` through the proxy, or their own port). */
  vault: string;
  /** The real-host proxy: HTTPS_PROXY / HTTP_PROXY for clients that keep Microsoft's own URLs (`svcconn env`). */
  proxy: string;
  caFile: string | null;
  adminKey: string;
  bootstrap: BootstrapFacts | null;
  /** The demo organization's URL, project and a project administrator's PAT (when the world names them). */
  organization: string | null;
  project: string | null;
  pat: string | null;
  /** The web UI page of the world's project (its service connections), when the world has one. */
  web: string | null;
}

export interface RunningServer extends ReadyFacts {
  close(): Promise<void>;
  /** The services behind the listeners, for in-process use (tests, embedding). */
  readonly runtime: Runtime;
}

/** Starts svcconn in this process and resolves once every listener accepts connections. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = resolveConfig(options);
  const runtime = await createRuntime(config);
  const publicHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const hostPart = publicHost.includes(":") ? `[${publicHost}]` : publicHost;
  try {
    for (const plane of PLANES) {
      const listener = runtime.listeners[plane];
      await listener.listen({ host: config.host, port: config.ports === "auto" ? 0 : (config.ports[plane] ?? config.ports.login + 6) });
      const port = (listener.server.address() as AddressInfo).port;
      runtime.bindPort(plane, port);
      runtime.urls[plane] = `${plane !== "imds" && runtime.tls ? "https" : "http"}://${hostPart}:${port}`;
    }
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const urls = runtime.urls as Record<(typeof PLANES)[number], string>;
  const planePort = (plane: Plane) => Number(new URL(urls[plane]).port) || undefined;
  const proxy = createProxy({
    portOf: planePort,
    listenerHost: listenerAddress(config.host),
    logger: runtime.logger,
    vaultTunnels: { opened: (port, auth) => runtime.vaultEndpoints.tunnelOpened(port, auth), closed: (port) => runtime.vaultEndpoints.tunnelClosed(port) },
  });
  try {
    await new Promise<void>((listening, failed) => {
      proxy.once("error", failed);
      proxy.listen(config.ports === "auto" ? 0 : (config.ports.proxy ?? config.ports.login + 5), config.host, () => listening());
    });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const proxyUrl = `http://${hostPart}:${(proxy.address() as AddressInfo).port}`;
  runtime.urls.proxy = proxyUrl;
  // The CLI (`svcconn login`, `logout`, `pipeline`) finds the instance of a data folder here, with the world's
  // organization, project and PAT it prints at start; the admin key stays in keys.json.
  const instanceFile = config.memory ? undefined : join(resolve(config.dataDir), INSTANCE_FILE);
  const devops = devopsFacts(runtime.world);
  const world = {
    organization: devops ? `${urls.devops}/${devops.organization}` : null,
    project: devops?.project ?? null,
    pat: devops?.pat ?? null,
    // The web UI: the project's service connections, as Azure DevOps places them.
    web: devops?.project ? `${urls.devops}/${devops.organization}/${encodeURIComponent(devops.project)}/_settings/adminservices` : null,
  };
  // The bootstrap application (the world's well-known reader of the directory and Azure) lets `doctor scan --data`
  // read Graph and ARM as `serve` prints it; the file is the owner's only.
  const bootstrap = bootstrapFacts(runtime.world);
  if (instanceFile) writeFileSync(instanceFile, `${JSON.stringify({ pid: process.pid, ...urls, proxy: proxyUrl, caFile: runtime.tls?.caFile ?? null, ...world, bootstrap })}\n`, { mode: 0o600 });
  let closing: Promise<void> | undefined;
  return {
    event: "ready",
    login: urls.login,
    graph: urls.graph,
    arm: urls.arm,
    devops: urls.devops,
    imds: urls.imds,
    vault: urls.vault,
    proxy: proxyUrl,
    caFile: runtime.tls?.caFile ?? null,
    adminKey: runtime.adminKey,
    bootstrap,
    ...world,
    runtime,
    close: () =>
      (closing ??= (async () => {
        if (instanceFile) rmSync(instanceFile, { force: true });
        proxy.closeTunnels();
        proxy.closeAllConnections();
        await new Promise<void>((closed) => proxy.close(() => closed()));
        await runtime.close();
      })()),
  };
}
