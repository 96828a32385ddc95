import { define, phrase } from "./define.js";

/**
 * Key Vault refused the connection's identity a secret operation: no data role (a vault on Azure RBAC) or no access
 * policy permission (a vault on access policies). Owner or Contributor on the vault reads no secret, so the fix is
 * a data role or a policy, never Contributor.
 */
export default define({
  id: "key-vault-access-denied",
  rootCauseClass: "authorization_failed_rbac",
  title: "Key Vault refused the service principal a secret operation (no data role or access policy)",
  spec: ["S13"],
  signals: [
    phrase("forbiddenbyrbac", /forbiddenbyrbac/, 14),
    // The RBAC refusal names a Key Vault data action; the access-policy refusal names the secrets permission.
    phrase(["caller is not authorized to perform action on resource", "microsoft.keyvault/vaults/secrets"], /caller is not authorized to perform action on resource[\s\S]{0,400}microsoft\.keyvault\/vaults\//, 14),
    phrase(["does not have secrets", "permission on key vault"], /does not have (?:secrets?|keys?|certificates?) (?:\w+ )?permission on key vault/, 14),
    // AzureKeyVault@1's words, and the variable group editor's ("Get, List" in quotes) when linking a vault.
    // A vault on access policies that lists no policy for the caller (its words for 403 in that model).
    phrase("caller was not found on any access policy", /caller was not found on any access policy/, 14),
    phrase("secret management permissions", /needs to have "?get, list"? secret management permissions/, 8),
    phrase("accessdenied", /"code"\s*:\s*"accessdenied"|innererror[^}]{0,40}accessdenied/, 4),
    phrase(["provisionkeyvaultpermissions.ps1"], /provisionkeyvaultpermissions\.ps1/, 4),
    // The firewall's refusals read alike but are the network's (network-or-firewall).
    phrase(["forbiddenbyfirewall", "client address", "public network access is disabled"], /forbiddenbyfirewall|client address (?:\([^)]*\) )?is not authorized|public network access is disabled/, -20),
  ],
  entities: [
    { entity: "vault", weight: 2 },
    { entity: "objectId", weight: 1 },
  ],
  cause:
    "Key Vault {vault} refused the connection's service principal (application {clientId}, object id {objectId}) a secret operation ({action}). A vault decides with Azure RBAC data roles or with its access policies, depending on its permission model; Owner or Contributor on the vault grant no secret access in either.",
  fix: [
    "Azure portal > Key vault {vault} > Access configuration: see whether the vault uses 'Azure role-based access control' or 'Vault access policy'.",
    "Azure RBAC: Access control (IAM) > Add role assignment > Key Vault Secrets User (read; Key Vault Secrets Officer to write) > Members: the service principal. CLI: az role assignment create --assignee-object-id {objectId} --assignee-principal-type ServicePrincipal --role \"Key Vault Secrets User\" --scope <the vault's resource id>.",
    "Access policies: Access policies > Create > Secret permissions Get and List > Principal: the service principal. CLI: az keyvault set-policy --name {vault} --object-id {objectId} --secret-permissions get list.",
    "A Key Vault-linked variable group or the Azure Key Vault task needs Get and List; wait a few minutes for a role assignment to apply, then re-run.",
  ],
  verify: [
    "az keyvault secret list --vault-name {vault} signed in as the service principal lists the secrets.",
    "Re-run the pipeline: 'Download secrets' sets the variables.",
  ],
  distinguish: [
    "'Client address is not authorized' (ForbiddenByFirewall) or 'Public network access is disabled' is the vault's network rules, not permissions (network-or-firewall).",
    "AuthorizationFailed from management.azure.com is an ARM role for a control-plane action (rbac-authorization-failed).",
  ],
  scanFindings: ["role-insufficient"],
  references: [
    "https://learn.microsoft.com/azure/key-vault/general/rbac-guide",
    "https://learn.microsoft.com/azure/key-vault/general/assign-access-policy",
    "https://learn.microsoft.com/azure/devops/pipelines/library/key-vault-in-own-project",
  ],
});
