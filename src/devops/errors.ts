import { PlaneError } from "../core/errors.js";

/**
 * An Azure DevOps failure, rendered as the service's WrappedException JSON (`message`, `typeName`, `typeKey`,
 * `errorCode`, `eventId`), which azure-devops-node-api and the az devops extension both read.
 */
export class DevOpsError extends PlaneError {
  readonly plane = "devops" as const;
  constructor(
    status: number,
    /** The exception's short name, e.g. `DuplicateServiceConnectionException`. */
    typeKey: string,
    message: string,
    readonly typeName = `Microsoft.VisualStudio.Services.WebApi.${typeKey}, Microsoft.VisualStudio.Services.WebApi`,
    readonly eventId = 3000,
  ) {
    super(status, typeKey, message);
  }
}

const WEBAPI = (typeKey: string) => `Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.${typeKey}, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi`;

const DISTRIBUTED_TASK = (typeKey: string) => `Microsoft.TeamFoundation.DistributedTask.WebApi.${typeKey}, Microsoft.TeamFoundation.DistributedTask.WebApi`;

const accessDenied = (message: string) =>
  new DevOpsError(403, "AccessCheckException", message, "Microsoft.VisualStudio.Services.Security.AccessCheckException, Microsoft.VisualStudio.Services.Security");

/** One constructor per real Azure DevOps error (`docs/reference/devops-api.md` §3). */
export const devopsErrors = {
  unauthorized: (user = "") =>
    new DevOpsError(401, "UnauthorizedRequestException", `TF400813: The user '${user}' is not authorized to access this resource.`, "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server", 3000),
  versionMissing: (method: string) =>
    new DevOpsError(
      400,
      "VssVersionNotSpecifiedException",
      `No api-version was supplied for the "${method}" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. "?api-version=1.0").`,
      "Microsoft.VisualStudio.Services.WebApi.VssVersionNotSpecifiedException, Microsoft.VisualStudio.Services.WebApi",
    ),
  versionOutOfRange: (version: string) =>
    new DevOpsError(
      400,
      "VssVersionOutOfRangeException",
      `The requested REST API version of ${version} is out of range for this server. The latest REST API version this server supports is 7.2.`,
      "Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, Microsoft.VisualStudio.Services.WebApi",
    ),
  invalidVersion: (version: string) =>
    new DevOpsError(400, "VssInvalidApiVersionException", `The api-version '${version}' is not valid.`, "Microsoft.VisualStudio.Services.WebApi.VssInvalidApiVersionException, Microsoft.VisualStudio.Services.WebApi"),
  organizationNotFound: (name: string) =>
    new DevOpsError(404, "OrganizationNotFoundException", `TF400813: The organization '${name}' does not exist or you do not have access to it.`),
  projectNotFound: (project: string) =>
    new DevOpsError(
      400,
      "ProjectDoesNotExistWithNameException",
      `VS800075: The project with id 'vstfs:///Classification/TeamProject/${project}' does not exist, or you do not have permission to access it.`,
      "Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistWithNameException, Microsoft.TeamFoundation.Core.WebApi",
    ),
  noCreatePermission: () =>
    accessDenied("You do not have permission to create a service connection. You need to be a Creator for service connections in this project."),
  noManagePermission: (name: string) =>
    accessDenied(`You do not have permission to manage the service connection '${name}'. You need to be an Administrator of this service connection.`),
  noUsePermission: (name: string) =>
    accessDenied(`You do not have permission to use the service connection '${name}'. You need to be a User of this service connection.`),
  notOrganizationAdministrator: () =>
    accessDenied("Access denied: only members of Project Collection Administrators may change the organization's settings."),
  noRoleManagePermission: () =>
    accessDenied("You do not have permission to manage role assignments at this scope. You need to be an Administrator."),
  duplicateName: (name: string) =>
    new DevOpsError(
      409,
      "DuplicateServiceConnectionException",
      `Service connection with name ${name} already exists. Only a user having Administrator/User role permissions on service connection ${name} can see it.`,
      WEBAPI("DuplicateServiceConnectionException"),
    ),
  projectReferenceRequired: () =>
    new DevOpsError(400, "ArgumentException", "At least one project reference required to create an endpoint.", "System.ArgumentException, mscorlib", 0),
  argumentNull: (parameter: string) => new DevOpsError(400, "ArgumentNullException", `Value cannot be null.\r\nParameter name: ${parameter}`, "System.ArgumentNullException, mscorlib", 0),
  argument: (message: string) => new DevOpsError(400, "ArgumentException", message, "System.ArgumentException, mscorlib", 0),
  endpointNotFound: (id: string) =>
    new DevOpsError(404, "ServiceEndpointNotFoundException", `Service connection with id ${id} does not exist or you do not have permissions to access it.`, WEBAPI("ServiceEndpointNotFoundException")),
  unsupportedScheme: (scheme: string, type: string) =>
    new DevOpsError(400, "ArgumentException", `The authorization scheme '${scheme}' is not supported for service connection type '${type}'.`, "System.ArgumentException, mscorlib", 0),
  unsupportedOnServer: (scheme: string) =>
    new DevOpsError(
      400,
      "ArgumentException",
      `Service connections using the authentication scheme '${scheme}' are not supported on Azure DevOps Server. Use a service principal or a managed identity.`,
      "System.ArgumentException, mscorlib",
      0,
    ),
  variableGroupNotFound: (id: number | string) =>
    new DevOpsError(404, "VariableGroupNotFoundException", `Variable group with id ${id} does not exist or you do not have permissions to access it.`, DISTRIBUTED_TASK("VariableGroupNotFoundException")),
  duplicateVariableGroup: (name: string) =>
    new DevOpsError(409, "VariableGroupExistsException", `Variable group with name ${name} already exists.`, DISTRIBUTED_TASK("VariableGroupExistsException")),
  noLibraryPermission: (identity: string, permission: "Create" | "Administer" | "Use", what: string) =>
    accessDenied(`Access denied. ${identity} needs ${permission} permissions to perform the action on ${what}. You need to be ${permission === "Create" ? "a Creator in the project's Library" : permission === "Use" ? "a User of the variable group" : "an Administrator of the variable group"}.`),
  environmentNotFound: (id: number | string) =>
    new DevOpsError(404, "EnvironmentNotFoundException", `Environment with id ${id} does not exist or you do not have permissions to access it.`, DISTRIBUTED_TASK("EnvironmentNotFoundException")),
  duplicateEnvironment: (name: string) =>
    new DevOpsError(409, "EnvironmentExistsException", `Environment with name ${name} already exists.`, DISTRIBUTED_TASK("EnvironmentExistsException")),
  invalidEnvironmentName: (name: string) =>
    new DevOpsError(
      400,
      "ArgumentException",
      `Environment name '${name}' is not valid. A valid name is less than 128 characters in length and does not contain the following characters: ',', '"', '/', '\\', '[', ']', ':', '|', '<', '>', '+', '=', ';', '?', '*'.`,
      "System.ArgumentException, mscorlib",
      0,
    ),
  noEnvironmentPermission: (identity: string, permission: "Create" | "Manage" | "Use", what: string) =>
    accessDenied(`Access denied. ${identity} needs ${permission} permissions to perform the action on ${what}. You need to be ${permission === "Create" ? "a Creator of environments in the project" : permission === "Use" ? "a User of the environment" : "an Administrator of the environment"}.`),
  checkNotFound: (id: number | string) =>
    new DevOpsError(404, "CheckConfigurationNotFoundException", `Check configuration with id ${id} does not exist or you do not have permissions to access it.`, "Microsoft.Azure.Pipelines.Checks.WebApi.CheckConfigurationNotFoundException, Microsoft.Azure.Pipelines.Checks.WebApi"),
  noCheckPermission: (identity: string, resourceType: string) =>
    accessDenied(`Access denied. ${identity} needs to be a project administrator to configure the checks of a ${resourceType}.`),
  internalError: () => new DevOpsError(500, "VssServiceException", "TF400898: An Internal Error Occurred. Activity Id: 00000000-0000-0000-0000-000000000000."),
  immutableField: (field: string) =>
    new DevOpsError(400, "ArgumentException", `TF400898: An Internal Error Occurred. The field '${field}' of an existing service connection cannot be changed.`, "System.ArgumentException, mscorlib", 0),
  revertExpired: () =>
    new DevOpsError(400, "InvalidOperationException", "The service connection can no longer be reverted: the 7-day revert window has passed.", "System.InvalidOperationException, mscorlib", 0),
  notReady: (name: string) =>
    new DevOpsError(400, "InvalidOperationException", `The service connection '${name}' is not ready. Wait for the current operation to finish.`, "System.InvalidOperationException, mscorlib", 0),
};
