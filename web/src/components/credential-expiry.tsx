import { useLoad } from "../use-load";
import { graph } from "../api/azure";
import { emulatorNow } from "../config";
import type { ServiceEndpoint } from "../model";

/** The latest secret or certificate end date of each application (by appId), read from Microsoft Graph. */
export type ExpiryByApp = Map<string, { kind: "secret" | "certificate"; end: string }> | "unavailable" | undefined;

export async function readCredentialExpiry(signal?: AbortSignal): Promise<Map<string, { kind: "secret" | "certificate"; end: string }>> {
  const out = new Map<string, { kind: "secret" | "certificate"; end: string }>();
  const latest = (list: Array<{ endDateTime: string }>) => list.map((c) => c.endDateTime).sort().at(-1);
  for (const app of await graph.applicationCredentials(signal)) {
    const secret = latest(app.passwordCredentials ?? []);
    const certificate = latest(app.keyCredentials ?? []);
    if (secret && (!certificate || secret >= certificate)) out.set(app.appId.toLowerCase(), { kind: "secret", end: secret });
    else if (certificate) out.set(app.appId.toLowerCase(), { kind: "certificate", end: certificate });
  }
  return out;
}

/** The expiry of every application, read when `needed` and again whenever `version` changes (after a rotation, say). */
export function useCredentialExpiry(needed: boolean, version: unknown = 0): ExpiryByApp {
  const { data, error } = useLoad(needed ? (signal) => readCredentialExpiry(signal) : undefined, [needed, version]);
  return error ? "unavailable" : data;
}

/** "Secret · 12 days left (2027-01-01)", "Expired 3 days ago", or a dash where no secret applies. */
export function expiryText(endpoint: ServiceEndpoint, expiry: ExpiryByApp, now = emulatorNow()): string {
  if (endpoint.authorization.scheme !== "ServicePrincipal") return "No secret";
  const appId = endpoint.authorization.parameters?.serviceprincipalid?.toLowerCase();
  if (expiry === undefined) return "…";
  if (expiry === "unavailable" || !appId) return "Unknown";
  const found = expiry.get(appId);
  if (!found) return "Unknown";
  const days = Math.floor((Date.parse(found.end) - now) / 86_400_000);
  const label = found.kind === "secret" ? "Secret" : "Certificate";
  const date = found.end.slice(0, 10);
  return days < 0 ? `${label} expired ${-days} days ago (${date})` : `${label} · ${days} days left (${date})`;
}
