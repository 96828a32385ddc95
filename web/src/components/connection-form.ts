/**
 * The new Azure Resource Manager connection form as data: its state, the reducer its fields dispatch to, whether
 * it can be saved, and the request body Save sends (`POST _apis/serviceendpoint/endpoints`). Pure: no React, no
 * fetching (test/unit/connection-form.test.ts).
 */
export type IdentityType = "automatic" | "manual" | "managedIdentity";
export type Credential = "WorkloadIdentityFederation" | "ServicePrincipal" | "Certificate";
export type ScopeLevel = "Subscription" | "ManagementGroup" | "AzureMLWorkspace";

export interface Subscription {
  subscriptionId: string;
  displayName: string;
  subscriptionTenantId: string;
}
export interface ManagementGroup {
  id: string;
  displayName: string;
  tenantId: string;
}
/** What a picker's endpoint proxy answered: the choices, or why there are none. */
export interface Picker<T> {
  value: T[];
  errorMessage: string | null;
}

export interface ConnectionForm {
  identity: IdentityType;
  credential: Credential;
  scopeLevel: ScopeLevel;
  subscriptionId: string;
  subscriptionName: string;
  tenantId: string;
  managementGroupId: string;
  resourceGroup: string;
  workspace: { name: string; location: string };
  clientId: string;
  secret: string;
  certificate: string;
  name: string;
  description: string;
  allPipelines: boolean;
}

export type FormAction =
  | { type: "set"; values: Partial<Omit<ConnectionForm, "identity">> }
  | { type: "identity"; identity: IdentityType }
  /** The dialog closed: what is secret or one connection's own goes; the choices made stay for the next. */
  | { type: "closed" };

export const initialForm = (tenantId: string): ConnectionForm => ({
  identity: "automatic",
  credential: "WorkloadIdentityFederation",
  scopeLevel: "Subscription",
  subscriptionId: "",
  subscriptionName: "",
  tenantId,
  managementGroupId: "",
  resourceGroup: "",
  workspace: { name: "", location: "" },
  clientId: "",
  secret: "",
  certificate: "",
  name: "",
  description: "",
  allPipelines: false,
});

export function formReducer(form: ConnectionForm, action: FormAction): ConnectionForm {
  switch (action.type) {
    case "set":
      return { ...form, ...action.values };
    case "identity":
      // A certificate is given only to a manual connection.
      return { ...form, identity: action.identity, credential: action.identity !== "manual" && form.credential === "Certificate" ? "WorkloadIdentityFederation" : form.credential };
    case "closed":
      return { ...form, name: "", description: "", secret: "", certificate: "" };
  }
}

/** Whether Save may be pressed: a name, a scope, and for a manual connection its application and credential. */
export function canSave(form: ConnectionForm): boolean {
  const scope = form.scopeLevel === "ManagementGroup" ? form.managementGroupId : form.subscriptionId;
  const workspace = form.scopeLevel !== "AzureMLWorkspace" || (form.resourceGroup && form.workspace.name && form.workspace.location);
  const manual =
    form.identity !== "manual" || (form.clientId && form.tenantId && (form.credential !== "ServicePrincipal" || form.secret) && (form.credential !== "Certificate" || form.certificate.includes("PRIVATE KEY")));
  return !!(form.name.trim() && scope && workspace && manual);
}

/** What the request needs besides the form: the project, and what the pickers listed (names and tenants). */
export interface RequestContext {
  projectId: string;
  projectName?: string;
  subscriptions?: Picker<Subscription>;
  groups?: Picker<ManagementGroup>;
}

/** The body the portal sends for the form: scheme, parameters and data as Azure DevOps reads them. */
export function connectionRequest(form: ConnectionForm, context: RequestContext) {
  // A certificate is the service-principal scheme with the certificate (PEM: certificate and private key).
  const scheme = form.identity === "managedIdentity" ? "ManagedServiceIdentity" : form.credential === "Certificate" ? "ServicePrincipal" : form.credential;
  const data: Record<string, string> = { environment: "AzureCloud", scopeLevel: form.scopeLevel };
  if (form.identity !== "managedIdentity") data.creationMode = form.identity === "automatic" ? "Automatic" : "Manual";
  const parameters: Record<string, string> = {};
  if (form.scopeLevel === "ManagementGroup") {
    const group = context.groups?.value.find((g) => g.id === form.managementGroupId);
    Object.assign(data, { managementGroupId: form.managementGroupId, managementGroupName: group?.displayName ?? form.managementGroupId });
    parameters.tenantid = group?.tenantId ?? form.tenantId;
  } else {
    const picked = context.subscriptions?.value.find((s) => s.subscriptionId === form.subscriptionId);
    Object.assign(data, { subscriptionId: form.subscriptionId, subscriptionName: picked?.displayName ?? form.subscriptionName });
    parameters.tenantid = picked?.subscriptionTenantId ?? form.tenantId;
    if (form.scopeLevel === "AzureMLWorkspace") Object.assign(data, { resourceGroupName: form.resourceGroup, mlWorkspaceName: form.workspace.name, mlWorkspaceLocation: form.workspace.location });
    else if (form.resourceGroup) parameters.scope = `/subscriptions/${form.subscriptionId}/resourcegroups/${form.resourceGroup}`;
  }
  if (form.identity === "manual") {
    parameters.serviceprincipalid = form.clientId;
    if (form.credential === "ServicePrincipal") Object.assign(parameters, { authenticationType: "spnKey", serviceprincipalkey: form.secret });
    if (form.credential === "Certificate") Object.assign(parameters, { authenticationType: "spnCertificate", servicePrincipalCertificate: form.certificate });
  }
  return {
    name: form.name,
    type: "azurerm",
    url: "https://management.azure.com/",
    description: form.description,
    authorization: { scheme, parameters },
    data,
    isShared: false,
    owner: "library",
    serviceEndpointProjectReferences: [{ projectReference: { id: context.projectId, name: context.projectName }, name: form.name, description: form.description }],
  };
}
