import { define, phrase } from "./define.js";

/**
 * The tenant's application management policy refuses the credential a connection needs: a client secret at all, or
 * one valid as long as it was asked for. Azure DevOps adds a secret when it creates or rotates an automatic
 * connection; az, PowerShell and Terraform add one when a script makes the service principal. No role lifts it.
 */
export default define({
  id: "credential-policy-denied",
  rootCauseClass: "cannot_register_apps",
  title: "The tenant's app management policy refuses the client secret (not allowed, or valid too long)",
  spec: ["S9"],
  signals: [
    phrase("as per assigned policy", /as per assigned policy/, 24),
    phrase(["credentialtypenotallowed", "credentiallifetime"], /credentialtypenotallowed\w*|credentiallifetime\w*/, 12),
    phrase("credential lifetime exceeds", /credential lifetime exceeds the max(?:imum)? value allowed/, 12),
    phrase(["management polic", "appmanagementpolic"], /app(?:lication)? management polic(?:y|ies)|appmanagementpolic(?:y|ies)/, 8),
  ],
  cause:
    "Microsoft Entra ID's application management policy for this tenant (or for this application) restricts password credentials: client secrets are not allowed at all, or not for as long as was asked. Creating an automatic connection with a secret, rotating its secret, or a script's az ad sp create-for-rbac / credential reset adds a password credential, and the policy refuses it — whoever asks, whatever their role.",
  fix: [
    "Use workload identity federation instead of a secret: create the connection as 'App registration (automatic)' with 'Workload identity federation', or convert the existing one (Project settings > Service connections > the connection > Convert). Policies that refuse secrets allow federated credentials.",
    "Where a secret is required, ask for one within the policy's limit: az ad app credential reset --id <appId> --append --end-date <a date within the limit> (the policy's maxLifetime, e.g. P90D).",
    "An administrator can read the policy: GET https://graph.microsoft.com/v1.0/policies/defaultAppManagementPolicy (and /applications/<object id>/appManagementPolicies), and exempt the application if the organization agrees.",
  ],
  verify: ["The connection's creation or 'Rotate secret' succeeds; Verify on the connection reports success."],
  distinguish: [
    "'Insufficient privileges to complete the operation' alone is the creator's directory rights (app-registration-disallowed, application-change-denied), not a policy.",
  ],
  references: [
    "https://learn.microsoft.com/entra/identity/enterprise-apps/configure-app-management-policies",
    "https://learn.microsoft.com/graph/api/resources/applicationauthenticationmethodpolicy",
    "https://learn.microsoft.com/azure/devops/pipelines/release/configure-workload-identity",
  ],
});
