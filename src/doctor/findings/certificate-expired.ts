import type { ConnectionFacts } from "../scan/connection-facts.js";
import { defineFinding, type Found } from "./define.js";

/** Every secret (or certificate) of the connection's application has ended. */
export async function expired(facts: ConnectionFacts, certificate: boolean): Promise<Found | null> {
  const state = await facts.credentials();
  if (!state || state.certificate !== certificate || state.newest === undefined || state.newest > facts.limits.now.getTime()) return null;
  return { evidence: state.evidence, application: state.application };
}

export default defineFinding({
  kind: "certificate-expired",
  severity: "critical",
  title: "Every certificate of the connection's application has expired",
  explanation: "certificate-invalid",
  fix: "Upload a new certificate to the application and to the connection.",
  check: (facts) => expired(facts, true),
});
