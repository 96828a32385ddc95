import { define, phrase } from "./define.js";

/**
 * Not the service connection: a resource lock, an Azure Policy assignment or the resource's own setting (shared key
 * access or App Service basic authentication turned off, a disabled secret or storage account) refuses the call,
 * whoever asks.
 */
export default define({
  id: "lock-or-policy-denied",
  rootCauseClass: "other",
  title: "Not the service connection: a lock, a policy or the resource's own setting refuses the call",
  spec: ["S17"],
  signals: [
    phrase(["scopelocked", "are locked", "is locked", "cannot perform"], /\bscopelocked\b|following scope\(s\) are locked|cannot perform (?:delete|write) operation because following scope|(?:scope|resource group|resource) .{0,60} is locked/, 16),
    phrase(["requestdisallowedbypolicy", "disallowed by policy", "policy assignment", "policydefinition", "policy definition"], /\brequestdisallowedbypolicy\b|was disallowed by policy|resource .{0,80} disallowed by policy|policy (?:assignment|definition) .{0,80}(?:denied|deny|disallow)/, 16),
    phrase(["policyviolation", "policy violation"], /\bpolicyviolation\b|policy violation/, 8),
    // A disabled subscription (billing, a spending limit) is read-only for everyone: ARM's ReadOnlyDisabledSubscription.
    phrase(["readonlydisabledsubscription", "marked as read only"], /\breadonlydisabledsubscription\b|is disabled and therefore marked as read only/, 14),
    // Storage with shared key access off: Terraform's backend and az storage use the account key unless told otherwise.
    phrase(["keybasedauthenticationnotpermitted", "key based authentication is not permitted"], /keybasedauthenticationnotpermitted|key based authentication is not permitted/, 16),
    // App Service with basic (publishing-credential) authentication turned off for its SCM site: tasks that deploy with
    // the publishing credentials get 401 from Kudu (AzureRmWebAppDeployment's BasicAuthNotSupported, Kudu's own words).
    phrase(["basic auth", "basic authentication"], /basic auth(?:entication)? (?:is )?disabled|enabled basic auth restrictions|configured to not use basic authentication|basic authentication is not allowed/, 16),
    // The App Service tasks' Kudu client writes any Kudu answer so (the deployment summary's too); ARM's 401s name a token.
    phrase("(code: 401)", /unauthorized \(code: 401\)/, 12),
    // A stopped or disabled app answers every caller so (App Service's 403 pages).
    phrase(["web app is stopped", "site disabled"], /this web app is stopped|\(403\) site disabled|error 403 - site disabled/, 12),
    // A secret, key or storage account turned off by its owner refuses every caller.
    phrase(["on a disabled", "accountisdisabled", "account is disabled", "is disabled"], /operation \w+ is not allowed on a disabled (?:secret|key|certificate)|\baccountisdisabled\b|the specified account is disabled|(?:secret|key|certificate) ['"]?[\w-]+['"]? is disabled/, 14),
  ],
  cause:
    "The connection's identity is allowed to make the change, but a management lock (CanNotDelete or ReadOnly) on the resource, its group or subscription, an Azure Policy assignment with a deny effect, or the resource's own setting (a storage account with shared key access turned off, which the tool's account-key access needs; an App Service whose SCM site refuses basic authentication, which deploying with publishing credentials needs; a Key Vault secret or a storage account its owner disabled; an app that is stopped) refuses it for everyone: no role on the connection changes that.",
  fix: [
    "For a lock: Azure portal > the scope named in the message > Locks: remove it for the change (az lock list --resource-group <group>; az lock delete --name <lock> --resource-group <group>), or change the deployment so it does not delete or write there.",
    "For shared key access turned off: make the tool use Microsoft Entra ID instead of the key (Terraform backend: use_azuread_auth = true, with Storage Blob Data Contributor for the connection; az storage: --auth-mode login).",
    "For App Service basic authentication turned off (Configuration > General settings > SCM Basic Auth Publishing Credentials: Off, often by an Azure Policy): use a task version that deploys with a Microsoft Entra token (AzureWebApp@1, AzureRmWebAppDeployment@4 or @5 at their current minor versions), or turn basic authentication on for the SCM site (az resource update --resource-group <group> --name scm --namespace Microsoft.Web --resource-type basicPublishingCredentialsPolicies --parent sites/<app> --set properties.allow=true).",
    "For a disabled secret or storage account: its owner enables it again (az keyvault secret set-attributes --vault-name <vault> --name <secret> --enabled true), or the step reads another one; for a stopped app: az webapp start --name <app> --resource-group <group>.",
    "For a disabled subscription (ReadOnlyDisabledSubscription): its owner re-enables it (Azure portal > Subscriptions > the subscription: billing, a spending limit or a cancellation disabled it); the connection is not involved.",
    "For a policy: the message names the policy assignment and definition; change the resource to comply (location, SKU, tags, settings), or ask the policy's owner for an exemption (az policy exemption create).",
  ],
  verify: ["az lock list --resource-group <group> shows no lock on the scope (or az policy state list --resource <id> shows it compliant).", "Re-run the step; the change is applied."],
  ambiguities: [
    {
      when: /unauthorized \(code: 401\)/,
      unless: /basic auth/,
      reason:
        "Kudu answers 401 to a deployment with publishing credentials when the app's SCM site refuses basic authentication (the usual case); a task that deploys with a Microsoft Entra token gets it too when the connection's identity has no role on the app.",
      checks: [
        "Azure portal > the app > Configuration > General settings: is SCM Basic Auth Publishing Credentials off? If so, use a task version that deploys with a token or turn it on; if not, give the connection's identity Website Contributor on the app.",
      ],
    },
  ],
  references: ["https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources", "https://learn.microsoft.com/azure/governance/policy/troubleshoot/general"],
});
