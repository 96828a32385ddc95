import { defineFinding } from "./define.js";

export default defineFinding({
  kind: "legacy-issuer",
  severity: "low",
  title: "The connection still uses the older Azure DevOps (vstoken) issuer",
  explanation: "wif-issuer-mismatch",
  fix: "Move it to the Entra issuer: Edit the connection (or re-convert), then update the application's federated credential.",
  check: async (facts) => {
    const { issuer, scheme } = facts.connection;
    if (scheme !== "WorkloadIdentityFederation" || !issuer || !/vstoken\.(?:dev\.azure\.com|visualstudio\.com)/i.test(issuer)) return null;
    const found = await facts.found();
    return found ? { evidence: { issuer }, application: found.ref } : null;
  },
});
