import { define, phrase } from "./define.js";

export default define({
  id: "contributor-assignment-failed",
  rootCauseClass: "role_assignment_failed",
  title: "Failed to assign the Contributor role to the new application",
  spec: ["S7"],
  signals: [
    phrase("failed to assign ", /failed to assign (?:the )?contributor role/, 14),
    phrase("roleassignments/write", /microsoft\.authorization\/roleassignments\/write/, 9),
    // Azure DevOps' own words for the creation step's role assignment ("Failed to set Azure permission 'RoleAssignmentId: …'").
    phrase("failed to set azure permission", /failed to set azure permission/, 14),
    // A user (not a service principal) refused the role-assignment write: the creating user lacks the right.
    phrase("roleassignments/write", /the client ['"][^'"]+@[^'"]+['"] with object id .{0,200}roleassignments\/write/, 20),
    phrase(["grant", "assign", "owner", "user access administrator", "contributor"], /(?:grant\w*|assign\w*) (?:it |the app\w* |the service principal )?(?:the |a )?(?:contributor )?role|(?:owner|user access administrator)\b.{0,80}(?:contributor|role)|only (?:have |a )?contributor/, 5),
    phrase(["assign", "grant"], /(?:could not|unable to|failed to) (?:assign|grant) .{0,40}(?:role|permission)/, 4),
    // A deployment's own role assignment refused to the connection's principal: its role, not the creation step.
    phrase("authorization failed for template resource", /authorization failed for template resource/, -10),
  ],
  // A user (not a service principal) was refused the right to assign roles.
  entities: [
    { entity: "action", pattern: /roleassignments\/write/i, weight: 4 },
    { entity: "clientId", pattern: /@/, weight: 4 },
  ],
  cause:
    "Automatic creation assigns the new application the Contributor role on the chosen scope (step 3). Your account lacks 'Microsoft.Authorization/roleAssignments/write' there — only Owner, User Access Administrator and Role Based Access Control Administrator have it — so the assignment fails and the application made in step 2 is removed again.",
  fix: [
    "Ask a subscription Owner to give you a role that may assign roles on {scope}: Azure portal > Subscriptions > the subscription > Access control (IAM) > Add role assignment > User Access Administrator (or Owner).",
    "CLI equivalent for the administrator: az role assignment create --assignee {objectId|your object id} --role \"User Access Administrator\" --scope {scope}.",
    "Where az role assignment fails (Debian's Azure CLI 2.45 crashes in it), through REST: az rest --method put --url \"https://management.azure.com{scope}/providers/Microsoft.Authorization/roleAssignments/$(uuidgen)?api-version=2022-04-01\" --body '{\"properties\":{\"roleDefinitionId\":\"/providers/Microsoft.Authorization/roleDefinitions/18d7d88d-d35e-4fb5-a5c3-7773c20a72d9\",\"principalId\":\"{objectId|your object id}\"}}' (User Access Administrator).",
    "Or ask the administrator to create the application and its Contributor assignment themselves, then create the connection manually (Service principal (manual) or workload identity federation (manual)).",
  ],
  verify: [
    "az role assignment list --assignee {objectId|your object id} --scope {scope} --include-inherited shows Owner, User Access Administrator or Role Based Access Control Administrator.",
    "Create the connection again; its data shows azureSpnRoleAssignmentId and it becomes Ready.",
  ],
  distinguish: [
    "If a pipeline task (not connection creation) failed creating a role assignment, the service principal needs the role instead (see rbac-authorization-failed).",
  ],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#failed-to-assign-contributor-role"],
});
