import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "wif-multitenant-app",
  rootCauseClass: "wif_other",
  title: "A multi-tenant application cannot use the Entra issuer",
  spec: ["S19"],
  schemes: ["federation"],
  signals: [
    aadsts(70052, 14),
    phrase("single tenant app", /must be a managed identity, a single tenant app,? or a service account/, 12),
    phrase("azureadmultipleorgs", /azureadmultipleorgs/, 4),
    phrase(["tenant", "any organizational directory"], /multi-?tenant|any organizational directory|single[- ]tenant/, 8),
  ],
  cause:
    "The connection uses the Microsoft Entra issuer, which only works for single-tenant applications and managed identities. Application {clientId} is multi-tenant (signInAudience AzureADMultipleOrgs).",
  fix: [
    "Make the app single-tenant if nothing else needs it multi-tenant: az ad app update --id {clientId} --sign-in-audience AzureADMyOrg (App registrations > Authentication > Supported account types).",
    "Or use a managed identity, or a separate single-tenant app, for the connection.",
    "Or keep the Azure DevOps issuer for this connection (ask support), which multi-tenant apps may still use.",
  ],
  verify: ["az ad app show --id {clientId} --query signInAudience returns AzureADMyOrg.", "Verify the connection."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
