import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "wif-blocked-by-policy",
  rootCauseClass: "wif_other",
  title: "Workload identity federation is restricted in the tenant",
  spec: ["S19"],
  schemes: ["federation"],
  signals: [
    aadsts(700223, 14),
    aadsts(700238, 14),
    aadsts(900382, 12),
    phrase("rejected the token issued by azure devops", /rejected the token issued by azure devops/, 12),
    phrase(["constrained", "disabled", "restricted", "blocked"], /(?:workload identity federation|federated identity) .{0,40}(?:constrained|disabled|restricted|blocked)/, 8),
    phrase("cross cloud", /confidential client is not supported in cross cloud/, 10),
    phrase("polic", /federat.{0,160}\bpolic(?:y|ies)\b|\bpolic(?:y|ies)\b.{0,160}(?:federat|\bwif\b|workload identit)/, 8),
  ],
  cause:
    "The tenant's policy restricts workload identity federation — for this issuer, for this identity type, or across clouds — so Microsoft Entra ID refuses the token Azure DevOps issued even though the credential matches.",
  fix: [
    "Ask a tenant administrator to allow federation for your Azure DevOps organization's issuer (Microsoft Entra admin center > workload identity federation restrictions / app management policy).",
    "Or use a managed identity with workload identity federation, which such policies often allow.",
    "In sovereign clouds that block it (AADSTS900382), use a secret- or certificate-based connection.",
  ],
  verify: ["Verify the connection after the policy change."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
