import type { ManagementGroup, Resource, ResourceGroup, RoleAssignment, RoleDefinition, Subscription } from "../model.js";
import { managementGroupScope } from "../scopes.js";

/** ARM's JSON for each object, as the SDKs and the Azure CLI parse it. */
export const views = {
  subscription: (s: Subscription) => ({
    id: `/subscriptions/${s.id}`,
    authorizationSource: "RoleBased",
    managedByTenants: [],
    ...(Object.keys(s.tags).length ? { tags: s.tags } : {}),
    subscriptionId: s.id,
    tenantId: s.tenantId,
    displayName: s.displayName,
    state: s.state,
    subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: "PayAsYouGo_2014-09-01", spendingLimit: "Off" },
  }),
  tenant: (t: { id: string; displayName: string; defaultDomain: string; domains: string[] }) => ({
    id: `/tenants/${t.id}`,
    tenantId: t.id,
    countryCode: "US",
    displayName: t.displayName,
    domains: t.domains,
    tenantCategory: "Home",
    defaultDomain: t.defaultDomain,
    tenantType: "AAD",
  }),
  resourceGroup: (g: ResourceGroup) => ({
    id: `/subscriptions/${g.subscriptionId}/resourceGroups/${g.name}`,
    name: g.name,
    type: "Microsoft.Resources/resourceGroups",
    location: g.location,
    ...(Object.keys(g.tags).length ? { tags: g.tags } : {}),
    ...(g.managedBy ? { managedBy: g.managedBy } : {}),
    properties: { provisioningState: "Succeeded" },
  }),
  resource: (r: Resource) => {
    const { properties, ...envelope } = r.body;
    return {
      id: r.id,
      name: r.name,
      type: r.type,
      ...envelope,
      properties: { ...(properties ?? {}), provisioningState: (properties?.provisioningState as string | undefined) ?? "Succeeded" },
    };
  },
  roleDefinition: (r: RoleDefinition, scope: string) => ({
    id: `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/roleDefinitions/${r.id}`,
    name: r.id,
    type: "Microsoft.Authorization/roleDefinitions",
    properties: {
      roleName: r.roleName,
      type: r.roleType,
      description: r.description,
      assignableScopes: r.assignableScopes,
      permissions: r.permissions,
      createdOn: r.createdOn,
      updatedOn: r.updatedOn,
      createdBy: r.createdBy,
      updatedBy: r.createdBy,
    },
  }),
  roleAssignment: (a: RoleAssignment) => ({
    id: `${a.scope === "/" ? "" : a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`,
    name: a.name,
    type: "Microsoft.Authorization/roleAssignments",
    properties: {
      roleDefinitionId: a.roleDefinitionId,
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: a.condition,
      conditionVersion: a.conditionVersion,
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: a.createdBy,
      updatedBy: a.createdBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description,
    },
  }),
  managementGroup: (g: ManagementGroup, extra: Record<string, unknown> = {}) => ({
    id: managementGroupScope(g.name),
    type: "Microsoft.Management/managementGroups",
    name: g.name,
    properties: { tenantId: g.tenantId, displayName: g.displayName, ...extra },
  }),
};

const LOCATIONS: Array<[string, string, string]> = [
  ["eastus", "East US", "US"],
  ["eastus2", "East US 2", "US"],
  ["westus", "West US", "US"],
  ["westus2", "West US 2", "US"],
  ["centralus", "Central US", "US"],
  ["northeurope", "North Europe", "Europe"],
  ["westeurope", "West Europe", "Europe"],
  ["uksouth", "UK South", "UK"],
  ["germanywestcentral", "Germany West Central", "Europe"],
  ["swedencentral", "Sweden Central", "Europe"],
  ["southeastasia", "Southeast Asia", "Asia Pacific"],
  ["australiaeast", "Australia East", "Asia Pacific"],
  ["japaneast", "Japan East", "Asia Pacific"],
];

export function locations(subscriptionId: string) {
  return LOCATIONS.map(([name, displayName, geography]) => ({
    id: `/subscriptions/${subscriptionId}/locations/${name}`,
    name,
    type: "Region",
    displayName,
    regionalDisplayName: `(${geography}) ${displayName}`,
    metadata: { regionType: "Physical", regionCategory: "Recommended", geographyGroup: geography },
  }));
}
