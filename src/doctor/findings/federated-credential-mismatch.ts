import { defineFinding } from "./define.js";

export default defineFinding({
  kind: "federated-credential-mismatch",
  severity: "critical",
  title: "No federated credential matches the connection's issuer and subject",
  explanation: "wif-subject-mismatch",
  fix: "Edit the application's federated credential to the issuer and subject the connection shows (or add one).",
  check: async (facts) => {
    const { issuer, subject } = facts.connection;
    const credentials = await facts.federatedCredentials();
    const found = await facts.found();
    if (!credentials?.length || !found || credentials.some((f) => f.issuer === issuer && f.subject === subject)) return null;
    return { evidence: { expected: { issuer, subject }, found: credentials.map((f) => ({ name: f.name, issuer: f.issuer, subject: f.subject })) }, application: found.ref };
  },
});
