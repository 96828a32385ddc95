import { describe, expect, it } from "vitest";
import { canSave, connectionRequest, formReducer, initialForm, type ConnectionForm, type FormAction } from "../../web/src/components/connection-form.js";

// The web UI's new-connection form as data: what each choice makes of the request Azure DevOps receives.
const TENANT = "d0d0cafe-7e4a-4000-8000-000000000001";
const SUBSCRIPTION = { subscriptionId: "d0d0cafe-5ab0-4000-8000-000000000002", displayName: "Contoso Development", subscriptionTenantId: "d0d0cafe-7e4a-4000-8000-00000000000a" };
const context = { projectId: "p-1", projectName: "web", subscriptions: { value: [SUBSCRIPTION], errorMessage: null }, groups: { value: [{ id: "mg-platform", displayName: "Platform", tenantId: TENANT }], errorMessage: null } };
const filled = (...actions: FormAction[]): ConnectionForm => actions.reduce(formReducer, initialForm(TENANT));
const set = (values: Extract<FormAction, { type: "set" }>["values"]): FormAction => ({ type: "set", values });

describe("the new connection form", () => {
  it("automatic, workload identity federation, on a picked subscription narrowed to a resource group", () => {
    const form = filled(set({ subscriptionId: SUBSCRIPTION.subscriptionId, resourceGroup: "rg-dev-app", name: "dev", description: "d" }));
    expect(canSave(form)).toBe(true);
    expect(connectionRequest(form, context)).toEqual({
      name: "dev",
      type: "azurerm",
      url: "https://management.azure.com/",
      description: "d",
      authorization: { scheme: "WorkloadIdentityFederation", parameters: { tenantid: SUBSCRIPTION.subscriptionTenantId, scope: `/subscriptions/${SUBSCRIPTION.subscriptionId}/resourcegroups/rg-dev-app` } },
      data: { environment: "AzureCloud", scopeLevel: "Subscription", creationMode: "Automatic", subscriptionId: SUBSCRIPTION.subscriptionId, subscriptionName: "Contoso Development" },
      isShared: false,
      owner: "library",
      serviceEndpointProjectReferences: [{ projectReference: { id: "p-1", name: "web" }, name: "dev", description: "d" }],
    });
  });

  it("manual with a certificate; choosing another identity type takes the certificate choice back", () => {
    const form = filled({ type: "identity", identity: "manual" }, set({ credential: "Certificate", subscriptionId: "s-1", subscriptionName: "Typed", clientId: "app-1", name: "m" }));
    expect(canSave(form)).toBe(false);
    const withKey = formReducer(form, set({ certificate: "-----BEGIN CERTIFICATE-----…-----BEGIN PRIVATE KEY-----…" }));
    expect(canSave(withKey)).toBe(true);
    expect(connectionRequest(withKey, context).authorization).toEqual({
      scheme: "ServicePrincipal",
      parameters: { tenantid: TENANT, serviceprincipalid: "app-1", authenticationType: "spnCertificate", servicePrincipalCertificate: withKey.certificate },
    });
    expect(connectionRequest(withKey, context).data).toMatchObject({ creationMode: "Manual", subscriptionName: "Typed" });
    expect(formReducer(withKey, { type: "identity", identity: "automatic" }).credential).toBe("WorkloadIdentityFederation");
    expect(formReducer(filled(set({ credential: "ServicePrincipal" })), { type: "identity", identity: "manual" }).credential).toBe("ServicePrincipal");
  });

  it("a manual secret needs the key; a management group takes its tenant from the picker", () => {
    const manual = filled({ type: "identity", identity: "manual" }, set({ credential: "ServicePrincipal", subscriptionId: "s-1", clientId: "app-1", name: "m" }));
    expect(canSave(manual)).toBe(false);
    expect(connectionRequest(formReducer(manual, set({ secret: "k" })), context).authorization.parameters).toMatchObject({ authenticationType: "spnKey", serviceprincipalkey: "k" });
    const group = filled(set({ scopeLevel: "ManagementGroup", managementGroupId: "mg-platform", name: "g" }));
    expect(canSave(group)).toBe(true);
    expect(connectionRequest(group, context)).toMatchObject({ authorization: { parameters: { tenantid: TENANT } }, data: { scopeLevel: "ManagementGroup", managementGroupId: "mg-platform", managementGroupName: "Platform" } });
  });

  it("a Machine Learning workspace needs its group, name and location; a managed identity has no creation mode", () => {
    const workspace = filled(set({ scopeLevel: "AzureMLWorkspace", subscriptionId: SUBSCRIPTION.subscriptionId, resourceGroup: "rg-ml", name: "ml" }));
    expect(canSave(workspace)).toBe(false);
    const named = formReducer(workspace, set({ workspace: { name: "mlw", location: "westeurope" } }));
    expect(canSave(named)).toBe(true);
    expect(connectionRequest(named, context).data).toMatchObject({ resourceGroupName: "rg-ml", mlWorkspaceName: "mlw", mlWorkspaceLocation: "westeurope" });
    expect(connectionRequest(named, context).authorization.parameters).not.toHaveProperty("scope");
    const identity = connectionRequest(filled({ type: "identity", identity: "managedIdentity" }, set({ subscriptionId: "s-1", name: "mi" })), context);
    expect(identity.authorization.scheme).toBe("ManagedServiceIdentity");
    expect(identity.data).not.toHaveProperty("creationMode");
  });

  it("closing keeps the choices and forgets the secret and the connection's own name", () => {
    const closed = formReducer(filled({ type: "identity", identity: "manual" }, set({ secret: "k", certificate: "c", name: "n", description: "d", subscriptionId: "s-1" })), { type: "closed" });
    expect(closed).toMatchObject({ identity: "manual", subscriptionId: "s-1", secret: "", certificate: "", name: "", description: "" });
  });
});
