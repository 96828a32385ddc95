import { EnvHttpProxyAgent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import type { RunningServer } from "../../src/server/start.js";

/**
 * How a conformance suite points the official clients at svcconn. Each suite runs once per mode:
 * - `svcconn URLs`: each client told svcconn's own listener URLs (authorityHost, baseUrl, endpoint…);
 * - `real hosts`: clients configured as for real Azure (no authorityHost, no disableInstanceDiscovery, default
 *   endpoints), reaching svcconn through its proxy with the environment `svcconn env` prints — set in this process
 *   while the mode's tests run.
 */
export interface ClientMode {
  name: "svcconn URLs" | "real hosts";
  realHosts: boolean;
  login: string;
  graph: string;
  arm: string;
  devops: string;
  /** Options for @azure/identity credentials. */
  identity(): { authorityHost?: string; disableInstanceDiscovery?: boolean };
  /** Request options azure-devops-node-api needs (it reads no proxy variable). */
  devopsRequestOptions(): { proxy?: { proxyUrl: string } };
  enter(): void;
  leave(): void;
}

export function clientModes(server: () => RunningServer): ClientMode[] {
  const saved: Record<string, string | undefined> = {};
  let dispatcher: ReturnType<typeof getGlobalDispatcher> | undefined;
  const local: ClientMode = {
    name: "svcconn URLs",
    realHosts: false,
    get login() {
      return server().login;
    },
    get graph() {
      return server().graph;
    },
    get arm() {
      return server().arm;
    },
    get devops() {
      return server().devops;
    },
    identity: () => ({ authorityHost: server().login, disableInstanceDiscovery: true }),
    devopsRequestOptions: () => ({}),
    enter() {},
    leave() {},
  };
  const real: ClientMode = {
    name: "real hosts",
    realHosts: true,
    login: "https://login.microsoftonline.com",
    graph: "https://graph.microsoft.com",
    arm: "https://management.azure.com",
    devops: "https://dev.azure.com",
    identity: () => ({}),
    devopsRequestOptions: () => ({ proxy: { proxyUrl: server().proxy } }),
    enter() {
      for (const key of ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"]) {
        saved[key] = process.env[key];
        process.env[key] = server().proxy;
      }
      dispatcher = getGlobalDispatcher();
      setGlobalDispatcher(new EnvHttpProxyAgent());
    },
    leave() {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      if (dispatcher) setGlobalDispatcher(dispatcher);
    },
  };
  return [local, real];
}
