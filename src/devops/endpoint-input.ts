import { isGuid } from "../core/ids.js";
import { devopsErrors } from "./errors.js";
import { CONFIDENTIAL_PARAMETERS, type ServiceEndpoint } from "./model.js";

export const AZURERM_SCHEMES = ["ServicePrincipal", "WorkloadIdentityFederation", "ManagedServiceIdentity", "PublishProfile"] as const;
export const SERVER_SCHEMES = new Set(["ServicePrincipal", "ManagedServiceIdentity"]);
const SCOPE_LEVELS = ["Subscription", "ManagementGroup", "AzureMLWorkspace"] as const;
const ENVIRONMENTS = ["AzureCloud", "AzureChinaCloud", "AzureUSGovernment", "AzureGermanCloud", "AzureStack"];
const GENERIC_SCHEMES = ["UsernamePassword", "Token", "None"];

export const ENVIRONMENT_URLS: Record<string, string> = {
  AzureCloud: "https://management.azure.com/",
  AzureChinaCloud: "https://management.chinacloudapi.cn/",
  AzureUSGovernment: "https://management.usgovcloudapi.net/",
  AzureGermanCloud: "https://management.microsoftazure.de/",
};

/** A ServiceEndpoint body as read: the stored fields, plus secrets apart and the project references asked for. */
export interface EndpointInput extends Pick<ServiceEndpoint, "name" | "type" | "url" | "description" | "owner" | "scheme" | "parameters" | "data"> {
  id?: string;
  secrets: Record<string, string>;
  isShared?: boolean;
  projectReferences: Array<{ projectId?: string; projectName?: string; name: string; description: string }> | undefined;
}

/** What a PUT on a connection asks for: a full update, a scheme conversion, or a new secret. */
export type EndpointUpdate =
  | { kind: "update"; body: EndpointBody }
  | { kind: "convert"; scheme: "ServicePrincipal" | "WorkloadIdentityFederation" }
  | { kind: "rotate" };

/** Reads `PUT …/endpoints/{id}[?operation=…]`. */
export function readEndpointUpdate(body: unknown, operation: string | undefined): EndpointUpdate {
  const op = (operation ?? "").toLowerCase();
  if (op === "rotatesecret") return { kind: "rotate" };
  if (op === "convertauthenticationscheme") {
    const scheme = (body as { authorization?: { scheme?: unknown } } | undefined)?.authorization?.scheme;
    if (scheme !== "WorkloadIdentityFederation" && scheme !== "ServicePrincipal") throw devopsErrors.argument("ConvertAuthenticationScheme converts between ServicePrincipal and WorkloadIdentityFederation.");
    return { kind: "convert", scheme };
  }
  if (op && op !== "updateserviceendpoint") throw devopsErrors.argument(`The operation '${operation}' is not supported.`);
  return { kind: "update", body: readEndpointBody(body) };
}

/** `PUT …/endpoints` with an array: every connection names its id. */
export function readEndpointBodies(bodies: unknown): Array<EndpointBody & { id: string }> {
  if (!Array.isArray(bodies)) throw devopsErrors.argument("The request body must be an array of service connections.");
  return bodies.map((body) => {
    const id = (body as { id?: unknown })?.id;
    if (typeof id !== "string") throw devopsErrors.argument("Each service connection in the array needs its id.");
    return { ...readEndpointBody(body), id };
  });
}

/** A string→string map as Azure DevOps stores them: primitives become strings, structures are refused. */
function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw devopsErrors.argument(`The value of '${what}' must be an object of string values.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (typeof v === "object") throw devopsErrors.argument(`The value of '${what}.${k}' must be a string.`);
    out[k] = String(v);
  }
  return out;
}

const lowerKeys = (map: Record<string, string>) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));

/** A ServiceEndpoint body read for its shape only: what a create or update asks for, before the service's rules. */
export type EndpointBody = Omit<EndpointInput, "url"> & { url?: string };

/** Reads a ServiceEndpoint body (create) and applies the service's rules to it. */
export function readEndpointInput(body: unknown): EndpointInput {
  return completeEndpointInput(readEndpointBody(body), false);
}

/**
 * The credentials a Verify checks before they are saved (`serviceEndpointDetails` of an endpoint proxy request, what
 * the Edit dialog's Verify sends): the service principal, tenant and authentication type, and secrets apart (an
 * empty one keeps the stored value).
 */
export function readUnsavedCredentials(details: unknown): { parameters: Record<string, string>; secrets: Record<string, string> } {
  if (!details || typeof details !== "object" || Array.isArray(details)) throw devopsErrors.argument("The value of 'serviceEndpointDetails' must be a service connection object.");
  const authorization = ((details as Record<string, unknown>).authorization ?? {}) as Record<string, unknown>;
  const all = stringMap(authorization.parameters, "serviceEndpointDetails.authorization.parameters");
  const parameters: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) {
    const key = k.toLowerCase();
    if (CONFIDENTIAL_PARAMETERS.has(key)) {
      if (v !== "") secrets[key === "serviceprincipalcertificate" ? "servicePrincipalCertificate" : key] = v;
    } else if (key === "serviceprincipalid" || key === "tenantid") parameters[key] = v;
    else if (key === "authenticationtype") parameters.authenticationType = v;
  }
  return { parameters, secrets };
}

/** Reads a ServiceEndpoint body's shape: names, type, authorization (secrets apart), data, project references. */
export function readEndpointBody(body: unknown): EndpointBody {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw devopsErrors.argument("The request body must be a service connection object.");
  const b = body as Record<string, unknown>;
  const name = typeof b.name === "string" ? b.name.trim() : "";
  if (!name) throw devopsErrors.argument("The service connection name cannot be empty.");
  if (name.length > 256) throw devopsErrors.argument("The service connection name cannot be longer than 256 characters.");
  if (typeof b.type !== "string" || !b.type.trim()) throw devopsErrors.argument("The service connection type cannot be empty.");
  const type = b.type.toLowerCase() === "azurerm" ? "azurerm" : b.type.toLowerCase() === "generic" ? "generic" : b.type;
  if (type !== "azurerm" && type !== "generic") throw devopsErrors.argument(`Service connection type '${b.type}' is not supported.`);
  const authorization = (b.authorization ?? {}) as Record<string, unknown>;
  if (typeof authorization !== "object" || Array.isArray(authorization)) throw devopsErrors.argument("The value of 'authorization' must be an object.");
  const scheme = typeof authorization.scheme === "string" ? authorization.scheme : "";
  const allParameters = stringMap(authorization.parameters, "authorization.parameters");
  const parameters: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(allParameters)) {
    if (CONFIDENTIAL_PARAMETERS.has(k.toLowerCase())) {
      if (v !== "") secrets[k.toLowerCase() === "serviceprincipalcertificate" ? "servicePrincipalCertificate" : k.toLowerCase()] = v;
    } else if (!["workloadidentityfederationissuer", "workloadidentityfederationsubject", "workloadidentityfederationissuertype"].includes(k.toLowerCase())) {
      // Issuer, subject and the issuer form are the service's; what a client sends for them is ignored.
      parameters[k.toLowerCase() === "authenticationtype" ? "authenticationType" : k.toLowerCase()] = v;
    }
  }
  const data = stringMap(b.data, "data");
  const refs = b.serviceEndpointProjectReferences;
  let projectReferences: EndpointInput["projectReferences"];
  if (refs !== undefined && refs !== null) {
    if (!Array.isArray(refs)) throw devopsErrors.argumentNull("endpointProjectReferences");
    projectReferences = refs.map((r) => {
      const ref = (r ?? {}) as { projectReference?: { id?: unknown; name?: unknown }; name?: unknown; description?: unknown };
      const id = typeof ref.projectReference?.id === "string" ? ref.projectReference.id : undefined;
      const projectName = typeof ref.projectReference?.name === "string" ? ref.projectReference.name : undefined;
      if (!id && !projectName) throw devopsErrors.argument("Each project reference needs projectReference.id or projectReference.name.");
      return { projectId: id, projectName, name: typeof ref.name === "string" && ref.name ? ref.name : name, description: typeof ref.description === "string" ? ref.description : "" };
    });
  }
  return {
    id: typeof b.id === "string" ? b.id : undefined,
    name,
    type,
    url: typeof b.url === "string" && b.url ? b.url : undefined,
    description: typeof b.description === "string" ? b.description : "",
    owner: typeof b.owner === "string" && b.owner ? b.owner : "library",
    scheme,
    parameters,
    secrets,
    data,
    isShared: typeof b.isShared === "boolean" ? b.isShared : undefined,
    projectReferences,
  };
}

/**
 * The service's rules on a body: the environment and its URL, azurerm's schemes, scope levels and creation modes
 * (an update is read with the stored data under what it sends, and may keep an automatic connection's identity).
 */
export function completeEndpointInput(body: EndpointBody, forUpdate: boolean): EndpointInput {
  const { type, scheme, data } = body;
  const environment = data.environment ?? (type === "azurerm" ? "AzureCloud" : "");
  const url = body.url ?? ENVIRONMENT_URLS[environment] ?? "";
  const input: EndpointInput = { ...body, url };
  if (type === "azurerm") validateAzureRm(input, environment, forUpdate);
  else if (!GENERIC_SCHEMES.includes(scheme)) throw devopsErrors.unsupportedScheme(scheme, type);
  if (!url) throw devopsErrors.argument("The service connection URL cannot be empty.");
  return input;
}

function validateAzureRm(input: EndpointInput, environment: string, forUpdate: boolean): void {
  const { scheme, data, parameters, secrets } = input;
  if (!(AZURERM_SCHEMES as readonly string[]).includes(scheme)) throw devopsErrors.unsupportedScheme(scheme, "azurerm");
  if (!ENVIRONMENTS.includes(environment)) throw devopsErrors.argument(`The environment '${environment}' is not valid. Valid values are ${ENVIRONMENTS.join(", ")}.`);
  data.environment = environment;
  const scopeLevel = data.scopeLevel ?? (data.managementGroupId ? "ManagementGroup" : data.mlWorkspaceName ? "AzureMLWorkspace" : "Subscription");
  if (!(SCOPE_LEVELS as readonly string[]).includes(scopeLevel)) throw devopsErrors.argument(`The scope level '${scopeLevel}' is not valid. Valid values are ${SCOPE_LEVELS.join(", ")}.`);
  data.scopeLevel = scopeLevel;
  const lower = lowerKeys(data);
  if (scopeLevel === "Subscription" || scopeLevel === "AzureMLWorkspace") {
    if (!isGuid(lower.subscriptionid)) throw devopsErrors.argument("The subscription ID must be a GUID.");
    data.subscriptionId = lower.subscriptionid!.toLowerCase();
    if (!lower.subscriptionname) data.subscriptionName = data.subscriptionId;
  }
  if (scopeLevel === "ManagementGroup" && (!lower.managementgroupid || !lower.managementgroupname)) {
    throw devopsErrors.argument("A management-group connection needs data.managementGroupId and data.managementGroupName.");
  }
  if (scopeLevel === "AzureMLWorkspace" && (!lower.resourcegroupname || !lower.mlworkspacename)) {
    throw devopsErrors.argument("A Machine Learning workspace connection needs data.resourceGroupName and data.mlWorkspaceName.");
  }
  const creationMode = data.creationMode ?? "Manual";
  if (creationMode !== "Automatic" && creationMode !== "Manual") throw devopsErrors.argument(`The creation mode '${creationMode}' is not valid. Use Automatic or Manual.`);
  if (scheme === "ManagedServiceIdentity") {
    delete data.creationMode;
  } else {
    data.creationMode = creationMode;
  }
  if (parameters.tenantid !== undefined && parameters.tenantid !== "" && !isGuid(parameters.tenantid)) throw devopsErrors.argument("The tenant ID must be a GUID.");
  if (scheme === "ManagedServiceIdentity" || scheme === "PublishProfile") return;
  if (creationMode === "Automatic") {
    if (forUpdate) return;
    // The service makes the identity; a client must not bring one (`docs/reference/devops-api.md` §2.3).
    if (parameters.serviceprincipalid || Object.keys(secrets).length || data.appObjectId || data.spnObjectId || data.azureSpnRoleAssignmentId) {
      throw devopsErrors.argument("An automatic service connection cannot be created with a service principal, secret or role assignment; the service creates them.");
    }
    if (scheme === "ServicePrincipal") parameters.authenticationType = "spnKey";
    return;
  }
  if (!isGuid(parameters.serviceprincipalid)) throw devopsErrors.argument("The service principal ID (authorization.parameters.serviceprincipalid) must be a GUID.");
  if (!isGuid(parameters.tenantid)) throw devopsErrors.argument("The tenant ID (authorization.parameters.tenantid) must be a GUID.");
  if (scheme === "ServicePrincipal") {
    const type = parameters.authenticationType ?? "spnKey";
    if (type !== "spnKey" && type !== "spnCertificate") throw devopsErrors.argument(`The authentication type '${type}' is not valid. Use spnKey or spnCertificate.`);
    parameters.authenticationType = type;
  }
}

export const identityTypeOf = (scheme: string, creationMode: string | undefined): string =>
  scheme === "ManagedServiceIdentity" ? "ManagedIdentity" : creationMode === "Automatic" ? "AppRegistrationAutomatic" : "AppRegistrationManual";
