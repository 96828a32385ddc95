import type { Plane } from "../core/config.js";

/**
 * Microsoft's own host names that svcconn answers for in real-host mode, and the listener behind each. Clients reach
 * them through svcconn's proxy (CONNECT), and svcconn's certificate names them, so code written for Azure runs
 * unchanged. The authority aliases are those MSAL and the Azure CLI know for the public cloud.
 */
const EXACT: Record<string, Plane> = {
  "login.microsoftonline.com": "login",
  "login.windows.net": "login",
  "login.microsoft.com": "login",
  "sts.windows.net": "login",
  "graph.microsoft.com": "graph",
  "management.azure.com": "arm",
  "management.core.windows.net": "arm",
  "dev.azure.com": "devops",
  "vssps.dev.azure.com": "devops",
  "vstoken.dev.azure.com": "devops",
  "app.vssps.visualstudio.com": "devops",
};

/** `{org}.visualstudio.com` (the older organization URL) and `{org}.vssps.visualstudio.com`. */
const ORGANIZATION_HOST = /^([a-z0-9][a-z0-9-]{0,49})\.(?:vssps\.)?visualstudio\.com$/;

/** `{vault}.vault.azure.net`: a key vault of the world (the vault listener finds it by the host). */
const VAULT_HOST = /^([a-z0-9-]{3,24})\.vault\.azure\.net$/;

/** The vault a `{vault}.vault.azure.net` host names. */
export function vaultOfHost(host: string): string | undefined {
  return VAULT_HOST.exec(host.toLowerCase().split(":")[0]!.replace(/\.$/, ""))?.[1];
}

/** The instance metadata service's address: plain HTTP, through the proxy's forwarding. */
export const IMDS_HOST = "169.254.169.254";

/** The listener that answers for a host name, if svcconn answers for it at all. */
export function planeForHost(host: string): Plane | undefined {
  const name = host.toLowerCase().replace(/\.$/, "");
  return EXACT[name] ?? (ORGANIZATION_HOST.test(name) ? "devops" : VAULT_HOST.test(name) ? "vault" : undefined);
}

/** The organization a `{org}.visualstudio.com` host names (its paths carry no organization segment). */
export function organizationOfHost(host: string): string | undefined {
  const name = host.toLowerCase().split(":")[0]!;
  if (name === "app.vssps.visualstudio.com") return undefined;
  const match = /^([a-z0-9][a-z0-9-]{0,49})\.visualstudio\.com$/.exec(name);
  return match?.[1];
}

/** Names the server certificate carries: loopback for the listeners' own URLs, and every Microsoft name above. */
export const CERTIFICATE_DNS_NAMES = ["localhost", ...Object.keys(EXACT), "*.visualstudio.com", "*.vssps.visualstudio.com", "*.vault.azure.net"];

/**
 * What the local CA may sign for (X.509 name constraints): these names and their subdomains, and loopback
 * addresses. A CA that can sign for Microsoft's names must not be able to sign for anything else.
 */
export const CA_PERMITTED = {
  dnsNames: ["localhost", ...Object.keys(EXACT).filter((n) => !n.endsWith(".dev.azure.com") && n !== "app.vssps.visualstudio.com"), "visualstudio.com", "vault.azure.net"],
  ipRanges: ["127.0.0.0/8", "::1/128"],
};
