import { define, phrase } from "./define.js";

/**
 * Not the service connection's setup: a script or Terraform configuration run with the connection's identity reads
 * or writes Microsoft Entra objects (service principals, apps, role assignments by name) and the service principal
 * holds no directory permission for it. The connection works; what the script asks of Microsoft Graph is beyond it.
 */
export default define({
  id: "script-directory-permission",
  rootCauseClass: "other",
  title: "Not the service connection: the script asks Microsoft Entra ID for more than its service principal may",
  spec: ["S17"],
  signals: [
    phrase(["graphrbac", "serviceprincipalsclient", "groupsclient", "usersclient", "data \"azuread_"], /graphrbac\.(?:serviceprincipals|groups|users|objects)client|serviceprincipalsclient|groupsclient|usersclient|data "azuread_/, 12),
    // Creating an application is the directory's app registration setting (app-registration-disallowed).
    phrase(["applicationsclient", "azuread_application", "could not create application", "az ad app create"], /applicationsclient(?:#create|\.baseclient\.post)|azuread_application|could not create application|az ad app create/, -14),
    phrase(["listing service principals", "error getting authenticated object id", "authenticated object id"], /listing service principals|error getting authenticated object id|getting authenticated object id/, 12),
    // The retired Azure AD Graph's error body: old scripts and providers print it; Azure DevOps' own dialogs do not.
    phrase(["odata.error"], /"odata\.error"/, 10),
    phrase(["new-azroleassignment", "get-azad", "az ad sp", "az ad user", "az ad group", "az role assignment create"], /new-azroleassignment|get-azad(?:serviceprincipal|application|user|group)|az ad (?:sp|user|group) (?:show|list)|az role assignment create/, 6),
    phrase(["backing application", "in the local tenant"], /backing application of the service principal being created must (?:be )?in the local tenant/, 14),
    phrase(["principals of type application"], /principals of type application cannot validly be used in role assignments/, 16),
    // Creating the connection itself is another story (app-registration-disallowed, guest-permission).
    phrase(["service connection", "service endpoint", "create an app"], /(?:creat|sav|updat)\w* (?:the |a )?service (?:connection|endpoint)|failed to create an app/, -10),
  ],
  cause:
    "The pipeline's script (Azure PowerShell, the Azure CLI or Terraform's azuread provider) works on Microsoft Entra objects — looking up service principals, creating applications, assigning roles by name — with the connection's service principal. An Azure role (even Owner) gives no directory permission: without Microsoft Graph application permissions (Application.Read.All, Directory.Read.All, Application.ReadWrite.OwnedBy) or a directory role, Graph answers Authorization_RequestDenied / 403. The service connection itself is fine.",
  fix: [
    "Give the script's service principal what it asks for: Microsoft Entra ID > App registrations > the connection's app > API permissions > Microsoft Graph > Application permissions (for example Application.Read.All or Directory.Read.All), then Grant admin consent — or a directory role such as Directory Readers.",
    "Or avoid the lookup: pass object ids instead of names (New-AzRoleAssignment -ObjectId, az role assignment create --assignee-object-id <id> --assignee-principal-type ServicePrincipal), or set the Terraform azurerm provider to skip the lookup the error names.",
    "A role assignment needs the service principal's object id, not the application's: az ad sp show --id <appId> --query id.",
  ],
  verify: ["az ad sp list --filter \"appId eq '<appId>'\" run as the connection's identity (AzureCLI@2) answers instead of 403.", "Re-run the step."],
  distinguish: ["The same 'Insufficient privileges' while creating the service connection is app-registration-disallowed (or guest-permission for a guest)."],
  references: ["https://learn.microsoft.com/graph/permissions-reference", "https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template#new-service-principal"],
});
