import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "tenant-not-found",
  rootCauseClass: "jwt_failure_other",
  title: "The tenant named in the connection does not exist",
  spec: ["S10", "S12"],
  signals: [
    aadsts(90002, 14),
    aadsts(900023, 12),
    phrase("tenant '", /tenant ['"][^'"]*['"] not found/, 12),
    phrase("neither a valid dns name", /neither a valid dns name,? nor a valid external domain/, 10),
    phrase("invalid_tenant", /invalid_tenant/, 6),
    phrase("tenant", /tenant(?: id)?\b.{0,60}(?:does ?n[o']t exist|doesn't exist|not found|typo|misspel\w*|wrong)/, 7),
    phrase("no active subscriptions for the tenant", /no active subscriptions for the tenant/, 6),
  ],
  cause:
    "The tenant id or domain {tenant} the connection sends its token request to is not a Microsoft Entra tenant in this cloud: a typo, a subscription id pasted as tenant id, or the wrong cloud (environment).",
  fix: [
    "Find the right tenant id: az account show --subscription {subscriptionId} --query tenantId (Azure portal > Microsoft Entra ID > Overview > Tenant ID).",
    "Edit the service connection and set the Tenant ID (and the Environment, e.g. AzureCloud vs AzureUSGovernment) accordingly.",
  ],
  verify: ["curl https://login.microsoftonline.com/<tenant id>/v2.0/.well-known/openid-configuration returns a document.", "Verify the connection."],
  references: ["https://learn.microsoft.com/entra/identity-platform/reference-error-codes"],
});
