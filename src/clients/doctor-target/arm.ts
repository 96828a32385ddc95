import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { FixTarget } from "../../doctor/fix/target.js";
import type { Readable, RoleAssignmentInfo, RoleDefinitionInfo, ScanTarget } from "../../doctor/scan/target.js";
import { unreadable } from "./shared.js";

const BUILTIN_ROLES: Record<string, string> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
  "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
};

type ArmPart = Pick<ScanTarget, "roleDefinitions" | "roleAssignments" | "assignmentsAt"> & Pick<FixTarget, "assignRole" | "removeRoleAssignment">;

/** Azure RBAC through @azure/arm-authorization: role definitions and assignments, and their changes. */
export function armPart(authorization: AuthorizationManagementClient): ArmPart {
  /** Role assignments at a scope as ARM lists them (`filter` narrows; none: at, above and below, every principal). */
  const listAssignments = async (scope: string, filter?: string): Promise<Readable<RoleAssignmentInfo[]>> => {
    try {
      const out: RoleAssignmentInfo[] = [];
      for await (const a of authorization.roleAssignments.listForScope(scope, filter ? { filter } : {})) {
        const role = (a.roleDefinitionId ?? "").split("/").pop()!.toLowerCase();
        out.push({ id: a.id ?? "", principalId: a.principalId ?? "", scope: a.scope ?? "", roleDefinitionId: a.roleDefinitionId ?? "", roleName: BUILTIN_ROLES[role] ?? null });
      }
      return out;
    } catch (error) {
      return unreadable(`the role assignments at ${scope}`, error);
    }
  };
  return {
    async roleDefinitions(ids): Promise<Readable<RoleDefinitionInfo[]>> {
      try {
        const out: RoleDefinitionInfo[] = [];
        for (const id of ids) {
          const role = await authorization.roleDefinitions.getById(id);
          out.push({ id, roleName: role.roleName ?? "", permissions: (role.permissions ?? []).map((p) => ({ actions: p.actions ?? [], notActions: p.notActions ?? [], dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] })) });
        }
        return out;
      } catch (error) {
        return unreadable("the role definitions", error);
      }
    },

    roleAssignments: (principalObjectId, scope) => listAssignments(scope, `atScope() and assignedTo('${principalObjectId}')`),
    assignmentsAt: (scope) => listAssignments(scope),

    async assignRole(principalObjectId, scope, roleDefinitionGuid) {
      const subscription = /^\/subscriptions\/[^/]+/i.exec(scope)?.[0] ?? "";
      const created = await authorization.roleAssignments.create(scope, crypto.randomUUID(), {
        roleDefinitionId: `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid}`,
        principalId: principalObjectId,
        principalType: "ServicePrincipal",
      });
      return created.id ?? "";
    },

    async removeRoleAssignment(roleAssignmentId) {
      await authorization.roleAssignments.deleteById(roleAssignmentId);
    },
  };
}
