/** Azure Resource Manager objects svcconn keeps, in ARM's words. */

export type SubscriptionState = "Enabled" | "Warned" | "PastDue" | "Disabled" | "Deleted";

export interface ManagementGroup {
  /** The group's id segment (`name` in ARM JSON); the root group's is the tenant id. */
  name: string;
  tenantId: string;
  displayName: string;
  /** Parent group name; null only for the tenant root group. */
  parentName: string | null;
  updatedAt: string;
}

export interface Subscription {
  id: string;
  tenantId: string;
  displayName: string;
  state: SubscriptionState;
  managementGroup: string;
  tags: Record<string, string>;
  createdAt: string;
}

export interface ResourceGroup {
  subscriptionId: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  managedBy: string | null;
  createdAt: string;
}

/** A resource as ARM returns it, stored whole so any provider's properties round-trip. */
export interface Resource {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  /** Full type, e.g. `Microsoft.Storage/storageAccounts/blobServices`. */
  type: string;
  name: string;
  /** Lower-case id of the parent resource for nested types. */
  parentKey: string | null;
  body: ResourceBody;
  createdAt: string;
  changedAt: string;
}

export interface ResourceBody {
  location?: string;
  kind?: string;
  sku?: unknown;
  tags?: Record<string, string>;
  identity?: unknown;
  properties?: Record<string, unknown>;
  plan?: unknown;
  zones?: unknown;
  extendedLocation?: unknown;
  managedBy?: string;
  [other: string]: unknown;
}

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** The role's GUID. */
  id: string;
  roleName: string;
  description: string;
  roleType: "BuiltInRole" | "CustomRole";
  permissions: Permission[];
  assignableScopes: string[];
  /** Tenant of a custom role; null for built-ins (the same in every tenant). */
  tenantId: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
}

export type PrincipalType = "User" | "Group" | "ServicePrincipal" | "ForeignGroup" | "Device";

export interface RoleAssignment {
  name: string;
  tenantId: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: PrincipalType;
  description: string | null;
  condition: string | null;
  conditionVersion: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
  /** When a new assignment starts to count for authorization (role assignments take minutes to propagate). */
  effectiveAt: string;
  removedAt: string | null;
  /** A removed assignment still grants until then. */
  removalEffectiveAt: string | null;
}

export interface Deployment {
  scope: string;
  name: string;
  body: Record<string, unknown>;
  operations: Array<Record<string, unknown>>;
  createdAt: string;
}
