import { config } from "../config";
import { type Listed, orgApi } from "./client";

/** Security: role assignments on secured resources, the identity picker's search, permission checks, the project's id. */

export interface RoleAssignment {
  identity: { id: string; displayName: string; uniqueName?: string };
  role: { name: string };
  access: "assigned" | "inherited";
}

export interface Identity {
  id: string;
  providerDisplayName: string;
  properties?: { Account?: { $value: string } };
}

const PREVIEW = "7.1-preview.1";
const assignments = (scope: string, resource: string) => `securityroles/scopes/${scope}/roleassignments/resources/${resource}`;

export const security = {
  roleAssignments: (scope: string, resource: string, signal?: AbortSignal) => orgApi.get<Listed<RoleAssignment>>(assignments(scope, resource), undefined, PREVIEW, signal),
  assignRole: (scope: string, resource: string, userId: string, roleName: string) => orgApi.send("PUT", assignments(scope, resource), [{ roleName, userId }], undefined, PREVIEW),
  setInheritance: (scope: string, resource: string, inheritPermissions: boolean) => orgApi.send("PATCH", assignments(scope, resource), undefined, { inheritPermissions }, PREVIEW),
  searchIdentities: (text: string, signal?: AbortSignal) => orgApi.get<Listed<Identity>>("identities", { searchFilter: "General", filterValue: text }, undefined, signal),
  /** Whether the signed-in person holds the permission bits on each token of a namespace (one answer per token). */
  hasPermissions: (namespace: string, bits: number, tokens: string[]) => orgApi.get<{ value: boolean[] }>(`permissions/${namespace}/${bits}`, { tokens: tokens.join(",") }).then((r) => r.value),
  currentProject: () => orgApi.get<{ id: string }>(`projects/${encodeURIComponent(config.project ?? "")}`),
};
