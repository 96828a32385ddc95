/** Where svcconn reaches its own listeners: the bound address, or loopback when bound to every address. */
export function listenerAddress(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host.replace(/^\[|\]$/g, "");
}
