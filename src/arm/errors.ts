import { PlaneError } from "../core/errors.js";

/** An Azure Resource Manager failure, rendered as `{"error":{"code","message"}}`. */
export class ArmError extends PlaneError {
  readonly plane = "arm" as const;
}

/** ARM's US-style UTC time in ExpiredAuthenticationToken: `6/15/2026 8:22:51 AM`. */
export function armUsTime(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${h < 12 ? "AM" : "PM"}`;
}

const ARM_AUDIENCES = "'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'";

/** Authentication failures carry the tenant for the WWW-Authenticate challenge. */
export class ArmAuthenticationError extends ArmError {
  constructor(
    code: string,
    message: string,
    readonly tenantId: string | undefined,
  ) {
    super(401, code, message);
  }
}

/** One constructor per real ARM error (`docs/reference/identity-arm-api.md` §4.5). */
export const armErrors = {
  missingAuthorization: () => new ArmAuthenticationError("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.", undefined),
  invalidAuthorizationHeader: () =>
    new ArmAuthenticationError("AuthenticationFailedInvalidHeader", "Authentication failed. The 'Authorization' header is provided in an invalid format.", undefined),
  invalidToken: () => new ArmAuthenticationError("InvalidAuthenticationToken", "The access token is invalid.", undefined),
  expiredToken: (expiresMs: number, nowMs: number, tenantId: string) =>
    new ArmAuthenticationError("ExpiredAuthenticationToken", `The access token expiry UTC time '${armUsTime(expiresMs)}' is earlier than current UTC time '${armUsTime(nowMs)}'.`, tenantId),
  wrongAudience: (audience: string, tenantId: string) =>
    new ArmAuthenticationError(
      "InvalidAuthenticationTokenAudience",
      `The access token has been obtained for wrong audience or resource '${audience}'. It should exactly match with one of the allowed audiences ${ARM_AUDIENCES}.`,
      tenantId,
    ),
  wrongTenant: (tokenTenant: string, subscriptionTenant: string) =>
    new ArmAuthenticationError(
      "InvalidAuthenticationTokenTenant",
      `The access token is from the wrong issuer 'https://sts.windows.net/${tokenTenant}/'. It must match the tenant 'https://sts.windows.net/${subscriptionTenant}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${subscriptionTenant}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
      subscriptionTenant,
    ),
  /**
   * Printed as ARM prints it today (`docs/reference/identity-arm-api.md` §4.5, casing): resource-group actions and a
   * resource group's own scope with lower-case `resourcegroups`.
   */
  authorizationFailed: (client: string, objectId: string, action: string, scope: string) =>
    new ArmError(
      403,
      "AuthorizationFailed",
      `The client '${client}' with object id '${objectId}' does not have authorization to perform action '${action.replace(/^Microsoft\.Resources\/subscriptions\/resourceGroups\//i, "Microsoft.Resources/subscriptions/resourcegroups/")}' over scope '${scope.replace(/^(\/subscriptions\/[^/]+)\/resourceGroups\/([^/]+)$/i, "$1/resourcegroups/$2")}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    ),
  subscriptionNotFound: (id: string) => new ArmError(404, "SubscriptionNotFound", `The subscription '${id}' could not be found.`),
  resourceGroupNotFound: (name: string) => new ArmError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`),
  resourceNotFound: (type: string, name: string, group: string) =>
    new ArmError(
      404,
      "ResourceNotFound",
      `The Resource '${type}/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  parentResourceNotFound: (parent: string) =>
    new ArmError(404, "ParentResourceNotFound", `Can not perform requested operation on nested resource. Parent resource '${parent}' not found.`),
  managementGroupNotFound: (name: string) => new ArmError(404, "NotFound", `'/providers/Microsoft.Management/managementGroups/${name}' not found`),
  missingApiVersion: () =>
    new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."),
  invalidApiVersion: (version: string) =>
    new ArmError(400, "InvalidApiVersionParameter", `The api-version '${version}' is invalid. The supported versions are '2025-04-01,2024-11-01,2022-12-01,2022-09-01,2022-04-01,2021-04-01,2020-06-01,2019-11-01,2018-05-01,2016-06-01,2015-01-01'.`),
  invalidResourceGroupLocation: () => new ArmError(400, "LocationRequired", "The location property is required for this definition."),
  invalidResourceGroupName: (name: string) =>
    new ArmError(
      400,
      "InvalidResourceGroup",
      `The provided resource group name '${name}' has these invalid characters: '${[...new Set(name.replace(/[-\w._()]/g, ""))].join("")}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.`,
    ),
  invalidRequestContent: (detail: string) => new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${detail}'.`),
  invalidScope: (scope: string) => new ArmError(400, "InvalidScope", `The scope '${scope}' is not valid.`),
  roleAssignmentExists: (existingName: string) =>
    new ArmError(409, "RoleAssignmentExists", `The role assignment already exists. The ID of the existing role assignment is ${existingName.replace(/-/g, "")}.`),
  principalNotFound: (principalId: string, tenantId: string) =>
    new ArmError(
      400,
      "PrincipalNotFound",
      `Principal ${principalId.replace(/-/g, "")} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
    ),
  roleDefinitionNotFound: (id: string) => new ArmError(404, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${id}' does not exist.`),
  roleAssignmentNotFound: (name: string) => new ArmError(404, "RoleAssignmentNotFound", `The role assignment '${name}' is not found.`),
  invalidRoleAssignmentId: (name: string) =>
    new ArmError(400, "InvalidRoleAssignmentId", `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`),
  invalidRoleDefinitionId: (id: string) => new ArmError(400, "InvalidRoleDefinitionId", `The role definition ID '${id}' is not valid.`),
  invalidPrincipalId: () => new ArmError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment."),
  scopeNotAssignable: (scope: string) =>
    new ArmError(403, "AuthorizationFailed", `The role definition cannot be assigned at scope '${scope}' because the scope is not in the role's assignable scopes.`),
  roleDefinitionHasAssignments: () => new ArmError(409, "RoleDefinitionHasAssignments", "There are existing role assignments referencing role"),
  roleDefinitionExists: (name: string) => new ArmError(409, "RoleDefinitionWithSameNameExists", `A custom role with the same name '${name}' already exists in this directory.`),
  builtInRoleReadOnly: () => new ArmError(400, "BuiltInRoleCannotBeModified", "Built-in role definitions cannot be modified or deleted."),
  invalidFilter: (filter: string) => new ArmError(400, "UnsupportedQuery", `The filter '${filter}' is not supported.`),
  invalidTemplate: (message: string) => new ArmError(400, "InvalidTemplate", `Deployment template validation failed: '${message}'.`),
  deploymentNotFound: (name: string) => new ArmError(404, "DeploymentNotFound", `Deployment '${name}' could not be found.`),
  subscriptionNotEnabled: (id: string, state: string) =>
    new ArmError(409, "ReadOnlyDisabledSubscription", `The subscription '${id}' is disabled and therefore marked as read only. You cannot perform any write actions on this subscription until it is re-enabled. State: ${state}.`),
  methodNotAllowed: (method: string) => new ArmError(405, "MethodNotAllowed", `The requested method '${method}' is not allowed for this resource.`),
};
