import { useEffect, useState } from "react";
import { accessToken } from "../auth";
import { config, emulatorNow } from "../config";
import type { ServiceEndpoint } from "../model";

/** The latest secret or certificate end date of each application (by appId), read from Microsoft Graph. */
export type ExpiryByApp = Map<string, { kind: "secret" | "certificate"; end: string }> | "unavailable" | undefined;

interface GraphApplication {
  appId: string;
  passwordCredentials: Array<{ endDateTime: string }>;
  keyCredentials: Array<{ endDateTime: string }>;
}

export async function readCredentialExpiry(): Promise<Map<string, { kind: "secret" | "certificate"; end: string }>> {
  const token = await accessToken(config.graphScope);
  const out = new Map<string, { kind: "secret" | "certificate"; end: string }>();
  let next: string | undefined = `${config.graphUrl}/v1.0/applications?$select=appId,passwordCredentials,keyCredentials&$top=999`;
  while (next) {
    const response: Response = await fetch(next, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`Microsoft Graph answered ${response.status}`);
    const page = (await response.json()) as { value: GraphApplication[]; "@odata.nextLink"?: string };
    for (const app of page.value) {
      const latest = (list: Array<{ endDateTime: string }>) => list.map((c) => c.endDateTime).sort().at(-1);
      const secret = latest(app.passwordCredentials ?? []);
      const certificate = latest(app.keyCredentials ?? []);
      if (secret && (!certificate || secret >= certificate)) out.set(app.appId.toLowerCase(), { kind: "secret", end: secret });
      else if (certificate) out.set(app.appId.toLowerCase(), { kind: "certificate", end: certificate });
    }
    next = page["@odata.nextLink"];
  }
  return out;
}

/** The expiry of every application, read when `needed` and again whenever `version` changes (after a rotation, say). */
export function useCredentialExpiry(needed: boolean, version: unknown = 0): ExpiryByApp {
  const [expiry, setExpiry] = useState<ExpiryByApp>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is what asks for a new read.
  useEffect(() => {
    if (!needed) return;
    readCredentialExpiry()
      .then(setExpiry)
      .catch(() => setExpiry("unavailable"));
  }, [needed, version]);
  return expiry;
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
