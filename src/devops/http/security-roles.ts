import type { FastifyInstance, } from "fastify";
import type { DevOpsCaller } from "../identities.js";
import { roleDefinitionsOf } from "../security.js";
import type { DevOpsService } from "../service.js";
import { identityIds, roleAssignmentRequests } from "../input.js";
import { devopsHttp, flag, list, type Req } from "./shared.js";
import { devopsErrors } from "../errors.js";

/** The ServiceEndpoints security namespace of Azure DevOps. */
const SERVICE_ENDPOINTS_NAMESPACE = "49b48001-ca20-4adc-8111-5b60c903a50c";

/** Security roles on projects and service endpoints. */
export function securityRoleRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route } = devopsHttp(devops);
  const assignmentsPath = "/:org/_apis/securityroles/scopes/:scope/roleassignments/resources/:resourceId";
  const assignmentsView = async (request: Req, caller: DevOpsCaller) => {
    const definitions = Object.fromEntries(roleDefinitionsOf(request.params.scope!));
    return list(
      (await devops.roleAssignments(caller, request.params.scope!, request.params.resourceId!)).map((a) => ({
        identity: { displayName: a.identity.displayName, id: a.identity.id, uniqueName: a.identity.uniqueName },
        role: { displayName: a.role, name: a.role, allowPermissions: definitions[a.role]?.allowPermissions ?? 0, denyPermissions: 0, identifier: `${request.params.scope}.${a.role}`, description: definitions[a.role]?.description ?? "", scope: request.params.scope },
        access: a.access,
        accessDisplayName: a.access === "assigned" ? "Assigned" : "Inherited",
      })),
    );
  };
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
  // The security namespace check the web pages make before showing an action (ServiceEndpoints only).
  app.get(
    "/:org/_apis/permissions/:namespaceId/:permissions",
    route(true, async (request, _reply, caller) => {
      if (request.params.namespaceId!.toLowerCase() !== SERVICE_ENDPOINTS_NAMESPACE) throw devopsErrors.argument(`The security namespace '${request.params.namespaceId}' is not supported.`);
      const bits = Number(request.params.permissions);
      if (!Number.isInteger(bits) || bits < 0) throw devopsErrors.argument(`The value '${request.params.permissions}' is not valid for permissions.`);
      const delimiter = request.query.delimiter || ",";
      const tokens = (request.query.tokens ?? request.query.token ?? "").split(delimiter).filter(Boolean);
      if (!tokens.length) throw devopsErrors.argument("The query parameter 'tokens' is required.");
      if (tokens.length > 500) throw devopsErrors.argument("At most 500 tokens can be checked at once.");
      return list(await devops.hasEndpointPermissions(caller, bits, tokens));
    }),
  );
  app.get(
    "/:org/_apis/securityroles/scopes/:scope/roledefinitions",
    route(true, async (request) =>
      list(
        roleDefinitionsOf(request.params.scope!).map(([name, d]) => ({ displayName: name, name, allowPermissions: d.allowPermissions, denyPermissions: 0, identifier: `${request.params.scope}.${name}`, description: d.description, scope: request.params.scope })),
      ),
    ),
  );
}
