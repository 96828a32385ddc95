import type { FastifyInstance, } from "fastify";
import type { DevOpsCaller } from "../identities.js";
import { ROLE_DEFINITIONS } from "../security.js";
import type { DevOpsService } from "../service.js";
import { identityIds, roleAssignmentRequests } from "../input.js";
import { devopsHttp, flag, list, type Req } from "./shared.js";

/** Security roles on projects and service endpoints. */
export function securityRoleRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route } = devopsHttp(devops);
  const assignmentsPath = "/:org/_apis/securityroles/scopes/:scope/roleassignments/resources/:resourceId";
  const assignmentsView = async (request: Req, caller: DevOpsCaller) =>
    list(
      (await devops.roleAssignments(caller, request.params.scope!, request.params.resourceId!)).map((a) => ({
        identity: { displayName: a.identity.displayName, id: a.identity.id, uniqueName: a.identity.uniqueName },
        role: { displayName: a.role, name: a.role, allowPermissions: ROLE_DEFINITIONS[a.role].allowPermissions, denyPermissions: 0, identifier: `${request.params.scope}.${a.role}`, description: ROLE_DEFINITIONS[a.role].description, scope: request.params.scope },
        access: a.access,
        accessDisplayName: a.access === "assigned" ? "Assigned" : "Inherited",
      })),
    );
  app.get(assignmentsPath, route(true, async (request, _reply, caller) => assignmentsView(request, caller)));
  app.put(
    assignmentsPath,
    route(true, async (request, _reply, caller) => {
      await devops.setRoles(caller, request.params.scope!, request.params.resourceId!, roleAssignmentRequests(request.body));
      return assignmentsView(request, caller);
    }),
  );
  app.patch(
    assignmentsPath,
    route(true, async (request, _reply, caller) => {
      if (request.query.inheritPermissions !== undefined) {
        await devops.setInheritance(caller, request.params.scope!, request.params.resourceId!, flag(request.query.inheritPermissions));
        return undefined;
      }
      await devops.removeRoles(caller, request.params.scope!, request.params.resourceId!, identityIds(request.body));
      return undefined;
    }),
  );
  app.put(
    `${assignmentsPath}/:identityId`,
    route(true, async (request, _reply, caller) => {
      await devops.setRoles(caller, request.params.scope!, request.params.resourceId!, roleAssignmentRequests([{ roleName: (request.body as { roleName?: unknown })?.roleName, userId: request.params.identityId }]));
      return (await assignmentsView(request, caller)).value.find((a) => a.identity.id === request.params.identityId!.toLowerCase());
    }),
  );
  app.delete(
    `${assignmentsPath}/:identityId`,
    route(true, async (request, _reply, caller) => {
      await devops.removeRoles(caller, request.params.scope!, request.params.resourceId!, [request.params.identityId!]);
      return undefined;
    }),
  );
  app.get(
    "/:org/_apis/securityroles/scopes/:scope/roledefinitions",
    route(true, async (request) =>
      list(
        Object.entries(ROLE_DEFINITIONS)
          .filter(([name]) => name !== "Creator" || request.params.scope === "distributedtask.project.serviceendpointrole")
          .map(([name, d]) => ({ displayName: name, name, allowPermissions: d.allowPermissions, denyPermissions: 0, identifier: `${request.params.scope}.${name}`, description: d.description, scope: request.params.scope })),
      ),
    ),
  );
}
