import { define, phrase } from "./define.js";

export default define({
  id: "subscription-not-listed",
  rootCauseClass: "subscription_not_listed",
  title: "The subscription isn't listed when creating a service connection",
  spec: ["S8"],
  signals: [
    phrase("subscription", /subscriptions? (?:is ?n[o']t|not|are not|aren't|does not|doesn't) (?:being )?(?:listed|shown|showing|show up|visible|displayed|appearing|appear)/, 12),
    phrase("subscriptions", /(?:dropdown|drop-down|picker|list) only shows some (?:of )?(?:my )?subscriptions/, 10),
    phrase("50", /(?:more than|maximum of|limit of|only) 50 (?:azure )?subscriptions/, 12),
    phrase("no subscriptions ", /no subscriptions (?:were )?found/, 8),
    // az account set, or a tool through it, names a subscription the signed-in account's list lacks (a new
    // subscription the cached list does not have yet, another tenant's, one the identity has no role on).
    phrase("doesn't exist in cloud", /the subscription of ['"][^'"]+['"] doesn't exist in cloud/, 9),
    phrase(["subscription drop", "subscription picker", "subscription list"], /subscription (?:drop-?down|picker|list) is empty/, 10),
    phrase("supported account types", /supported account types/, 6),
    phrase("subscription", /subscriptions?\b(?![-_ ]?id\b).{0,60}(?:missing\b(?! (?:service|resource|required|parameter|argument|property|value|field)\b)|not (?:listed|shown|showing|visible|appear\w*)|(?:is |are )?(?:empty|blank)|(?:doesn't|does not|don't|do not) (?:show|appear|list))/, 7),
    // An empty picker of the connection's dialog; a list of something else (a task's server list) is not it.
    phrase(["drop", "picker"], /(?:drop-?down|picker)\b.{0,40}(?:empty|blank|missing|shows nothing)/, 6),
    phrase(["cached", "stale", "old "], /(?:old|cached|stale) (?:user )?token/, 4),
    // A pipeline's `az login --service-principal` finding no subscription is the principal's missing role (rbac-authorization-failed).
    // AzureCLI@3 says so when told to sign in without a subscription (allowNoSubscriptions): a choice, not a failure.
    phrase("allownosubscriptions", /skipping subscription context per 'allownosubscriptions'/, -12),
    phrase(["azure login failed", "no subscriptions found for"], /azure login failed|no subscriptions found for (?:[0-9a-f-]{36}|\*\*\*)/, -8),
  ],
  cause:
    "The subscription picker lists at most 50 subscriptions, from a list cached with your user token when you signed in; it only shows subscriptions of the tenant your session is for, and subscriptions of other directories only when the app's supported account types allow any organizational directory. A subscription beyond the first 50, granted after you signed in, or in another directory is missing.",
  fix: [
    "Sign out of Azure DevOps and back in (clear the browser cache), so the cached subscription list is rebuilt with a fresh token.",
    "If you can see more than 50 subscriptions: use a dedicated Microsoft Entra user that sees only the subscriptions it needs, or type the subscription id under Service principal (manual) / workload identity federation (manual).",
    "If the subscription is in another directory: in the Azure portal open the app registration > Authentication > Supported account types and choose 'Accounts in any organizational directory' (az ad app update --id {clientId} --sign-in-audience AzureADMultipleOrgs).",
  ],
  verify: [
    "az account list --query \"[?id=='{subscriptionId}']\" shows the subscription for your account.",
    "The subscription appears in the picker after signing in again.",
  ],
  ambiguities: [
    {
      when: /doesn't exist in cloud/,
      reason: "az knows only the subscriptions the signed-in identity could list when it signed in: one created or granted since, one in another tenant, or — for a pipeline's service principal — one it has no role on.",
      checks: ["az account list --refresh --all -o table as the same identity: is the subscription there? For a service connection's principal that does not list it, give it a role on the subscription (rbac-authorization-failed)."],
    },
  ],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#subscription-isnt-listed-when-creating-a-service-connection"],
});
