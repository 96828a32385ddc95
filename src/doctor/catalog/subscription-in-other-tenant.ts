import { define, phrase } from "./define.js";

export default define({
  id: "subscription-in-other-tenant",
  rootCauseClass: "no_active_subscription_multitenant",
  title: "The subscription is in another tenant than your session",
  spec: ["S6"],
  signals: [
    phrase("active azure subscription", /(?:don't|do not) appear to have an active azure subscription/, 14),
    phrase("invalidauthenticationtokentenant", /invalidauthenticationtokentenant/, 12),
    phrase("wrong issuer", /access token is from the wrong issuer/, 12),
    phrase("associated with this subscription", /must match the tenant .{0,80} associated with this subscription/, 8),
    phrase("does not exist in tenant", /does not exist in tenant .{0,200}(?:external user|add(?:ed)? as an external)/, 8),
    // A person's account from another directory (AADSTS50020, and 90072 for accounts of another identity provider).
    phrase(["50020", "90072"], /aadsts(?:50020|90072)/, 10),
    // The account signed in to a directory it is not in (user flows: the connection dialog, az login as a person).
    phrase(["50034", "does not exist in the"], /aadsts50034|user account .{0,80} does not exist in the .{0,80} directory/, 9),
    phrase(["subscriptionnotfound", "could not be found"], /\bsubscriptionnotfound\b|the subscription ['"][^'"]+['"] could not be found/, 7),
    // az login's own words for an account whose subscriptions live in another tenant than the ones it found.
    phrase("contain accessible subscriptions", /tenants? (?:don't|do not|doesn't|does not) contain accessible subscriptions/, 10),
    phrase("multiple ", /multiple (?:entra id |azure ad )?(?:tenants|directories)/, 4),
    phrase(["tenant", "director"], /(?:another|other|different|second|two|several|multiple|wrong) (?:entra id |azure ad |microsoft entra )?(?:tenants?|director(?:y|ies))/, 7),
    // Signing in again to a named tenant is what reaches the subscription: the session's default tenant was another.
    phrase(["--tenant", "switch"], /\b(?:az|azd) (?:auth )?login --tenant(?:-id)?\b|switch(?:ing)? (?:the )?director(?:y|ies)/, 8),
  ],
  cause:
    "You belong to several Microsoft Entra tenants and your Azure DevOps session holds a token for a different tenant than the one the subscription ({subscriptionId}) trusts ({tenant}). Azure Resource Manager refuses tokens from another issuer, so no subscription shows up.",
  fix: [
    "Go to your Visual Studio profile (https://app.vsaex.visualstudio.com/) and check which tenants your account is in.",
    "Select the tenant that owns the subscription and re-authenticate (sign out of Azure DevOps and sign in again, choosing that directory).",
    "With the Azure CLI: az login --tenant {tenant}, then az account list to see the subscription.",
  ],
  verify: [
    "az account show --subscription {subscriptionId} --query tenantId returns the tenant you signed in to.",
    "The subscription appears in the service connection dialog.",
  ],
  ambiguities: [
    {
      // The dialog says this both to someone whose subscription trusts another tenant and to someone with none.
      when: /(?:don't|do not) appear to have an active azure subscription|no subscriptions? (?:were )?found/,
      unless: /invalidauthenticationtokentenant|wrong issuer|another tenant|other tenant|different tenant|multiple tenants|aadsts(?:50020|90072)/,
      reason:
        "The text says no subscription was found for your session; that happens when the subscription trusts another tenant than the one you signed in to, and equally when your account has no Azure subscription at all (or no role on one).",
      checks: [
        "az login, then az account list --all --query \"[].{name:name, tenant:tenantId}\": an empty list means no subscription at all (get one, or a role on one); a subscription under another tenant means sign in to that tenant.",
        "Azure portal > Subscriptions with 'Switch directory' to each of your directories: where the subscription appears is the tenant to sign in to.",
      ],
    },
    {
      // ARM lists and reads subscriptions by access: one the caller cannot see is "not found".
      when: /\bsubscriptionnotfound\b|the subscription ['"][^'"]+['"] could not be found/,
      unless: /invalidauthenticationtokentenant|wrong issuer|another tenant|other tenant|different tenant|multiple tenants|aadsts(?:50020|90072)/,
      reason:
        "Azure Resource Manager answers SubscriptionNotFound for a subscription the token's tenant does not hold (the connection's tenant id is not the subscription's), for one that was cancelled or mistyped, and for one the caller holds no role on: it does not tell which.",
      checks: [
        "Signed in as an owner of the subscription: az account show --subscription <subscriptionId> --query tenantId, compared with the connection's tenant id; if they match, az role assignment list --assignee <the connection's client id> --scope /subscriptions/<subscriptionId> shows whether the connection holds a role there.",
      ],
    },
  ],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#you-dont-appear-to-have-an-active-azure-subscription-when-attempting-to-edit-or-create-a-new-service-connection",
  ],
});
