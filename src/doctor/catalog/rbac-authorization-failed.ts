import { define, phrase } from "./define.js";

export default define({
  id: "rbac-authorization-failed",
  rootCauseClass: "authorization_failed_rbac",
  title: "The service principal lacks a role for the action (AuthorizationFailed)",
  spec: ["S13"],
  signals: [
    phrase("authorizationfailed", /\bauthorizationfailed\b/, 10),
    phrase("does not have authorization to perform action", /does not have authorization to perform action/, 12),
    phrase("linkedauthorizationfailed", /linkedauthorizationfailed/, 10),
    phrase("authorization failed for template resource", /authorization failed for template resource/, 8),
    // Lookups by name (az, Az PowerShell) search only what the identity may read: without a role the resource "does
    // not exist in the subscription".
    phrase(" subscription", /(?:could not be found|does not exist) in (?:the )?(?:current )?subscription/, 10),
    phrase(["statuscode", "status code"], /"?statuscode"?\s*[:=]\s*"?403\b|status code:? 403\b/, 5),
    // Storage's data plane: the principal holds no data role (Storage Blob Data Reader/Contributor) for the call.
    phrase(["authorizationpermissionmismatch", "using this permission"], /authorizationpermissionmismatch|not authorized to perform this operation using this permission/, 12),
    // The azurerm provider registering resource providers at start: the principal may not (…/register/action on the subscription).
    phrase(["error ensuring resource providers are registered", "permission to register resource providers"], /error ensuring resource providers are registered|(?:don't|do not) have permission to register resource providers/, 9),
    // Service Bus and Event Hubs refusing a sender or listener without the right (their data roles, or a SAS policy's claims).
    phrase("claim(s) are required", /unauthorized access\. '(?:send|listen|manage)' claim\(s\) are required to perform this operation/, 9),
    phrase("does not have permission to perform action", /does not have permission to perform action/, 9),
    // `az login --service-principal` for a principal that holds no role anywhere (its id masked in a task's log).
    phrase("no subscriptions found for", /no subscriptions found for (?:[0-9a-f-]{36}|\*\*\*)/, 9),
    // AzurePowerShell@5's own Set-AzContext (InitializeAz.ps1) after the connection's sign-in: the principal sees no such subscription.
    phrase(["initializeaz.ps1"], /initializeaz\.ps1:\d+[\s\S]{0,600}please provide a valid tenant or a valid subscription/, 14),
    // Az PowerShell after a service principal's sign-in that found no subscription it may read: its advice to sign in misleads.
    // Set-AzContext for a subscription the signed-in principal holds no role on.
    phrase("does not have access to subscription", /the provided account [^ ]+ does not have access to subscription/, 12),
    phrase("authorized to access an azure subscription", /no subscription found in the context\. please ensure that the credentials you provided are authorized to access an azure subscription/, 14),
    phrase("403", /(?:statuscode=403|status code:? 403|\(403\) forbidden|403 \(forbidden\))/, 3),
    // AzureFileCopy@4+ (AzCopy 10) signs in with the connection: its README asks for Storage Blob Data Contributor or
    // Owner, and without one AzCopy fails with only this (AFC_AzCopyBlobUploadNonZeroExitCode).
    phrase("exited with non-zero exit code while uploading", /azcopy(?:\.exe)? exited with non-zero exit code while uploading files to blob storage/, 9),
    // A task that names the missing role assignment itself (AzureAppConfigurationExport@10's AccessDenied, task.json).
    phrase("required role assignment", /ensure (?:that )?the required role assignment is made for the identity/, 10),
    // A data plane naming the role the caller lacks (App Configuration, Service Bus, Storage, Key Vault in RBAC mode).
    phrase(["does not have the required role", "does not have the required permission"], /(?:principal|identity|caller|client|application)\b.{0,80}does not have the required (?:role|permissions?)\b/, 12),
    // Contributor or Owner on a storage account reads no blob: uploads need a data role (Storage Blob Data Contributor).
    phrase(["on the storage account"], /(?:blob|upload|azcopy|azurefilecopy)[\s\S]{0,160}\b(?:contributor|owner) (?:role )?on the storage account|\b(?:contributor|owner) (?:role )?on the storage account[\s\S]{0,160}(?:blob|upload|azcopy|azurefilecopy)/, 9),
    // AKS with Azure RBAC for Kubernetes: the connection's principal (its object id as the user) holds no AKS RBAC role.
    phrase("update role assignment to allow access", /user does not have access to the resource in azure\. update role assignment to allow access/, 14),
    phrase("is forbidden: user", /is forbidden: user "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}" cannot/, 8),
    // The agent pulling a container job's image with the connection: the registry refused to exchange its token
    // (azure-pipelines-agent's ContainerOperationProvider; AcrPull is the role it needs).
    // az acr login refused by the registry (no AcrPush/AcrPull for the identity): azure-cli's CONNECTIVITY_REFRESH_TOKEN_ERROR with 403.
    phrase("was denied. response code: 403", /access to registry ['"]?[\w.-]+['"]? was denied\. response code: 403/, 12),
    // A person's words for an Azure role the principal lacks where it acts (not a role on the connection itself).
    phrase(["reader", "contributor", "owner"], /(?:service principal|spn|connection|identity|app registration)\b.{0,40}(?:only (?:has|had|have)|has only|had only) (?:the )?reader (?:role )?(?:on|over|at) (?:the |that |its )?(?:resource group|subscription|resource)|needs? (?:the )?(?:contributor|owner) (?:role )?(?:on|over|at) (?:the |that |its )?(?:resource group|subscription)\b/, 8),
    // The azurerm provider's own words when it may not list resource providers (the principal holds no role there).
    phrase("unable to list provider registration status", /unable to list provider registration status, it is possible that this is due to invalid credentials or the service principal does not have permission/, 12),
    phrase("could not acquire acr token", /could not acquire acr token from given aad token/, 9),
  ],
  // ARM names the action and the scope it refused.
  entities: [
    { entity: "action", pattern: /^(?!microsoft\.authorization\/roleassignments\/write$)/i, weight: 3 },
    { entity: "scope", weight: 2 },
  ],
  cause:
    "The pipeline task called Azure Resource Manager as the connection's service principal {clientId} (object id {objectId}). No role assignment of that principal at {scope} or above grants '{action}', so ARM refused it.",
  fix: [
    "Azure portal > the resource, resource group or subscription in the scope > Access control (IAM) > Role assignments: check what the principal {objectId} holds.",
    "Add a role that includes the action: Add > Add role assignment > Contributor (or a narrower built-in/custom role) > Members: the service principal.",
    "CLI: az role assignment create --assignee-object-id {objectId} --assignee-principal-type ServicePrincipal --role Contributor --scope {scope}.",
    "Where az role assignment fails (Debian's Azure CLI 2.45 crashes in it), the same through REST: az rest --method put --url \"https://management.azure.com{scope}/providers/Microsoft.Authorization/roleAssignments/$(uuidgen)?api-version=2022-04-01\" --body '{\"properties\":{\"roleDefinitionId\":\"/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c\",\"principalId\":\"{objectId}\",\"principalType\":\"ServicePrincipal\"}}'.",
    "Wait a few minutes for the assignment to propagate, then re-run the pipeline (a new token is taken per run).",
  ],
  verify: [
    "az role assignment list --assignee {objectId} --scope {scope} --include-inherited lists a role whose actions cover '{action}'.",
    "Re-run the failed stage; the task succeeds.",
  ],
  distinguish: ["An action on Microsoft.Authorization/roleAssignments during connection creation means your own account lacks the right (contributor-assignment-failed)."],
  scanFindings: ["no-role-at-scope", "role-insufficient"],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#authorizationfailed-error-when-running-pipeline-tasks",
    "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles",
  ],
});
