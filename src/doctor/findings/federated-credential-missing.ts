import { defineFinding } from "./define.js";

export default defineFinding({
  kind: "federated-credential-missing",
  severity: "critical",
  title: "The workload identity connection's application has no federated credentials",
  explanation: "wif-no-federated-credentials",
  fix: "Add a federated credential with the connection's issuer and subject to the application.",
  check: async (facts) => {
    const credentials = await facts.federatedCredentials();
    const found = await facts.found();
    if (!credentials || credentials.length || !found) return null;
    return { evidence: { issuer: facts.connection.issuer, subject: facts.connection.subject }, application: found.ref };
  },
});
