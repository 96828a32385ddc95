import { federationIdentity } from "../federation.js";
import type { DevOpsIdentity, Organization, Project, ServiceEndpoint } from "../model.js";

export function identityRef(identity: DevOpsIdentity | undefined, base: string) {
  if (!identity) return { displayName: null, id: "00000000-0000-0000-0000-000000000000" };
  return {
    displayName: identity.displayName,
    url: `${base}/_apis/Identities/${identity.id}`,
    _links: { avatar: { href: `${base}/_apis/GraphProfile/MemberAvatars/aad.${Buffer.from(identity.id).toString("base64url")}` } },
    id: identity.id,
    uniqueName: identity.uniqueName,
    imageUrl: `${base}/_api/_common/identityImage?id=${identity.id}`,
    descriptor: `aad.${Buffer.from(identity.id).toString("base64url")}`,
  };
}

/** An identity as the Identities API (`_apis/identities`) reads it. */
export function identityView(identity: DevOpsIdentity) {
  const group = identity.kind === "group";
  const text = (value: string) => ({ $type: "System.String", $value: value });
  return {
    id: identity.id,
    descriptor: `${group ? "Microsoft.TeamFoundation.Identity" : "Microsoft.IdentityModel.Claims.ClaimsIdentity"};${identity.uniqueName}`,
    subjectDescriptor: `${group ? "vssgp" : "aad"}.${Buffer.from(identity.id).toString("base64url")}`,
    // A project group reads "[project]\\name", as its security roles show it.
    providerDisplayName: group ? identity.uniqueName : identity.displayName,
    isActive: true,
    isContainer: group,
    members: [],
    memberOf: [],
    properties: { Account: text(identity.uniqueName), SchemaClassName: text(group ? "Group" : "User") },
    resourceVersion: 2,
    metaTypeId: group ? 255 : 0,
  };
}

/**
 * The ServiceEndpoint JSON. Confidential parameters are `null` in a single object and left out of lists, as the
 * service masks them; a workload-identity connection reports the issuer and subject its tokens carry.
 */
export function endpointView(
  endpoint: ServiceEndpoint,
  context: { organization: Organization; projects: Project[]; identities: Map<string, DevOpsIdentity>; base: string; secretKeys: string[]; list: boolean; inProject?: Project },
) {
  const parameters: Record<string, string | null> = { ...endpoint.parameters };
  if (!context.list) for (const key of context.secretKeys) parameters[key] = null;
  if (endpoint.scheme === "WorkloadIdentityFederation") {
    const owning = context.projects.find((p) => p.id === endpoint.projects[0]?.projectId);
    const { issuer, subject } = federationIdentity(context.organization, owning, endpoint);
    parameters.workloadIdentityFederationIssuer = issuer;
    parameters.workloadIdentityFederationSubject = subject;
  }
  const projectName = context.inProject && endpoint.projects.find((p) => p.projectId === context.inProject!.id)?.name;
  return {
    data: endpoint.data,
    id: endpoint.id,
    name: projectName ?? endpoint.name,
    type: endpoint.type,
    url: endpoint.url,
    createdBy: identityRef(context.identities.get(endpoint.createdBy), context.base),
    description: endpoint.description,
    authorization: { parameters, scheme: endpoint.scheme },
    isShared: endpoint.isShared,
    isReady: endpoint.isReady,
    isOutdated: false,
    isDisabled: endpoint.isDisabled,
    owner: endpoint.owner === "library" ? "Library" : endpoint.owner,
    operationStatus: endpoint.operationStatus,
    serviceEndpointProjectReferences: endpoint.projects.map((p) => ({
      projectReference: { id: p.projectId, name: context.projects.find((x) => x.id === p.projectId)?.name ?? null },
      name: p.name,
      description: p.description,
    })),
    creationDate: endpoint.creationDate,
    modificationDate: endpoint.modificationDate,
    modifiedBy: { id: endpoint.modifiedBy, displayName: context.identities.get(endpoint.modifiedBy)?.displayName ?? null },
    administratorsGroup: null,
    readersGroup: null,
    groupScopeId: null,
    serviceManagementReference: null,
  };
}

const input = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  name,
  description: "",
  inputMode: "textbox",
  isConfidential: false,
  useInDefaultDescription: false,
  groupName: null,
  valueHint: null,
  validation: { dataType: "string", isRequired: false },
  values: null,
  ...extra,
});

/** The service-endpoint types svcconn knows: azurerm with all its schemes, and generic. */
export function endpointTypes(serverMode: boolean) {
  const azurermSchemes = [
    {
      scheme: "ServicePrincipal",
      displayName: "Azure Resource Manager using service principal authentication",
      inputDescriptors: [
        input("serviceprincipalid", "Service Principal Id", { validation: { dataType: "guid", isRequired: true } }),
        input("authenticationType", "Authentication Type", { inputMode: "radioButtons", values: { defaultValue: "spnKey", possibleValues: [{ value: "spnKey", displayValue: "Service principal key" }, { value: "spnCertificate", displayValue: "Certificate" }] } }),
        input("serviceprincipalkey", "Service principal key", { inputMode: "passwordBox", isConfidential: true }),
        input("servicePrincipalCertificate", "Certificate", { inputMode: "textArea", isConfidential: true }),
        input("tenantid", "Tenant ID", { validation: { dataType: "guid", isRequired: true } }),
      ],
      headers: [],
      properties: {},
    },
    {
      scheme: "WorkloadIdentityFederation",
      displayName: "Azure Resource Manager using workload identity federation",
      inputDescriptors: [
        input("serviceprincipalid", "Service Principal Id", { validation: { dataType: "guid", isRequired: false } }),
        input("tenantid", "Tenant ID", { validation: { dataType: "guid", isRequired: true } }),
        input("workloadIdentityFederationIssuer", "Issuer", { isReadOnly: true }),
        input("workloadIdentityFederationSubject", "Subject identifier", { isReadOnly: true }),
      ],
      headers: [],
      properties: {},
    },
    { scheme: "ManagedServiceIdentity", displayName: "Azure Resource Manager using managed identity", inputDescriptors: [input("tenantid", "Tenant ID", { validation: { dataType: "guid", isRequired: true } })], headers: [], properties: { isVerifiable: "False" } },
    {
      scheme: "PublishProfile",
      displayName: "Azure Resource Manager using publish profile",
      inputDescriptors: [input("publishProfile", "Publish profile", { isConfidential: true, inputMode: "textArea" }), input("tenantid", "Tenant ID")],
      headers: [],
      properties: {},
    },
  ].filter((s) => !serverMode || s.scheme === "ServicePrincipal" || s.scheme === "ManagedServiceIdentity");
  return [
    {
      name: "azurerm",
      displayName: "Azure Resource Manager",
      description: "Service connection type for Azure Resource Manager",
      endpointUrl: {
        displayName: "Server Url",
        value: "https://management.azure.com/",
        isVisible: "false",
        dependsOn: {
          input: "environment",
          map: [
            { key: "AzureCloud", value: "https://management.azure.com/" },
            { key: "AzureChinaCloud", value: "https://management.chinacloudapi.cn/" },
            { key: "AzureUSGovernment", value: "https://management.usgovcloudapi.net/" },
            { key: "AzureGermanCloud", value: "https://management.microsoftazure.de/" },
            { key: "AzureStack", value: "" },
          ],
        },
      },
      authenticationSchemes: azurermSchemes,
      inputDescriptors: [
        input("environment", "Environment", { values: { defaultValue: "AzureCloud" } }),
        input("scopeLevel", "Scope Level", { inputMode: "radioButtons", values: { defaultValue: "Subscription", possibleValues: [{ value: "Subscription" }, { value: "ManagementGroup" }, { value: "AzureMLWorkspace" }] } }),
        ...["subscriptionId", "subscriptionName", "resourceGroupName", "mlWorkspaceName", "mlWorkspaceLocation", "managementGroupId", "managementGroupName", "creationMode", "azureSpnRoleAssignmentId", "azureSpnPermissions", "spnObjectId", "appObjectId", "resourceId"].map((n) => input(n, n)),
      ],
      dataSources: [
        {
          name: "TestConnection",
          endpointUrl:
            "{{{endpoint.url}}}{{#equals endpoint.scopeLevel 'ManagementGroup'}}providers/Microsoft.Management/managementGroups/{{{endpoint.managementGroupId}}}?api-version=2018-01-01-preview{{else}}subscriptions/{{{endpoint.subscriptionId}}}?api-version=2016-06-01{{/equals}}",
          resultSelector: "",
        },
        { name: "AzureSubscriptions", endpointUrl: "{{{endpoint.url}}}subscriptions?api-version=2016-06-01", resultSelector: "jsonpath:$.value[*]" },
      ],
      trustedHosts: ["azurecr.io", "vault.azure.net", "core.windows.net", "azurewebsites.net"],
    },
    {
      name: "generic",
      displayName: "Generic",
      description: "Generic Connection",
      endpointUrl: { displayName: "Server URL", value: "", isVisible: "true" },
      authenticationSchemes: [
        { scheme: "UsernamePassword", displayName: "Username and password", inputDescriptors: [input("username", "Username"), input("password", "Password/Token Key", { isConfidential: true, inputMode: "passwordBox" })] },
        { scheme: "Token", displayName: "Token", inputDescriptors: [input("apitoken", "Token", { isConfidential: true, inputMode: "passwordBox" })] },
        { scheme: "None", displayName: "None", inputDescriptors: [] },
      ],
      inputDescriptors: [],
      dataSources: [],
      trustedHosts: [],
    },
  ];
}
