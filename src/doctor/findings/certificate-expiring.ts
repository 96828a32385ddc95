import { type ConnectionFacts, DAY } from "../scan/connection-facts.js";
import { defineFinding, type Found } from "./define.js";

/** The newest secret (or certificate) ends within the scan's warning days, not yet. */
export async function expiringWithin(facts: ConnectionFacts, certificate: boolean): Promise<Found | null> {
  const state = await facts.credentials();
  const now = facts.limits.now.getTime();
  if (!state || state.certificate !== certificate || state.newest === undefined) return null;
  if (state.newest <= now || state.newest - now > facts.limits.expiringDays * DAY) return null;
  return { evidence: { ...state.evidence, daysLeft: Math.floor((state.newest - now) / DAY) }, application: state.application };
}

export default defineFinding({
  kind: "certificate-expiring",
  severity: "medium",
  title: "The connection's newest certificate expires soon",
  explanation: "certificate-invalid",
  fix: "Upload a new certificate to the application and to the connection before it expires.",
  check: (facts) => expiringWithin(facts, true),
});
