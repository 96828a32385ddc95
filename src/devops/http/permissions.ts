import type { FastifyInstance, } from "fastify";
import { organizationUrl } from "../../http/wire.js";
import { identityRef } from "./endpoint-views.js";
import { devopsErrors } from "../errors.js";
import type { DevOpsCaller } from "../identities.js";
import type { DevOpsService } from "../service.js";
import type { ResourcePermissions } from "../pipeline-permissions.js";
import { pipelinePermissionsChange } from "../input.js";
import { devopsHttp, list, type Req } from "./shared.js";

/** Pipeline permissions, and the older build API the az devops extension uses for --enable-for-all. */
export function permissionRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route } = devopsHttp(devops);
  const permissionsView = async (request: Req, caller: DevOpsCaller, p: ResourcePermissions) => {
    const base = organizationUrl(request, caller.organization.name);
    const who = async (id: string) => identityRef(await devops.identity(id), base);
    return {
      resource: { type: p.resourceType, id: p.resourceId },
      pipelines: await Promise.all(p.pipelines.map(async (x) => ({ id: x.pipelineId, authorized: x.authorized, authorizedBy: await who(x.authorizedBy), authorizedOn: x.authorizedOn }))),
      allPipelines: p.allPipelines ? { authorized: true, authorizedBy: await who(p.allPipelines.authorizedBy), authorizedOn: p.allPipelines.authorizedOn } : null,
    };
  };
  app.get(
    "/:org/:project/_apis/pipelines/pipelinePermissions/:resourceType/:resourceId",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      return permissionsView(request, caller, await devops.permissions.get(caller, project, request.params.resourceType!, request.params.resourceId!));
    }),
  );
  app.patch(
    "/:org/:project/_apis/pipelines/pipelinePermissions/:resourceType/:resourceId",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      return permissionsView(request, caller, await devops.permissions.update(caller, project, request.params.resourceType!, request.params.resourceId!, pipelinePermissionsChange(request.body)));
    }),
  );
  app.patch(
    "/:org/:project/_apis/pipelines/pipelinePermissions",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      if (!Array.isArray(request.body)) throw devopsErrors.argument("The request body must be an array of ResourcePipelinePermissions.");
      // Every item is read before any is applied, so a bad one changes nothing.
      const changes = request.body.map((item) => {
        const resource = (item as { resource?: { type?: unknown; id?: unknown } })?.resource;
        if (typeof resource?.type !== "string" || typeof resource.id !== "string") throw devopsErrors.argument("Each item needs resource.type and resource.id.");
        return { type: resource.type, id: resource.id, change: pipelinePermissionsChange(item) };
      });
      const out = [];
      for (const { type, id, change } of changes) out.push(await permissionsView(request, caller, await devops.permissions.update(caller, project, type, id, change)));
      return list(out);
    }),
  );
  // The older build API the az devops extension uses for --enable-for-all.
  app.patch(
    "/:org/:project/_apis/build/authorizedresources",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      if (!Array.isArray(request.body)) throw devopsErrors.argument("The request body must be an array of DefinitionResourceReference.");
      const items = request.body as Array<{ authorized?: unknown; id?: unknown; name?: unknown; type?: unknown }>;
      const references = items.map((item) => {
        if (typeof item?.id !== "string" || typeof item.type !== "string" || typeof item.authorized !== "boolean") throw devopsErrors.argument("Each resource needs id, type and authorized.");
        return { authorized: item.authorized, id: item.id, name: item.name ?? null, type: item.type };
      });
      for (const reference of references) {
        await devops.permissions.update(caller, project, reference.type, reference.id, { allPipelines: reference.authorized, pipelines: [] });
      }
      // Azure DevOps answers with every resource of those types now open to all pipelines (az devops recording, 2025).
      const out = [];
      for (const type of new Set(references.map((r) => r.type.toLowerCase()))) out.push(...(await devops.permissions.openResources(caller, project, type)).map((id) => ({ type, id, authorized: true })));
      return list(out);
    }),
  );
  app.get(
    "/:org/:project/_apis/build/authorizedresources",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      const type = request.query.type ?? "endpoint";
      // Without an id: every resource of the type that all pipelines may use.
      if (!request.query.id) return list((await devops.permissions.openResources(caller, project, type)).map((id) => ({ type, id, authorized: true })));
      const p = await devops.permissions.get(caller, project, type, request.query.id);
      return list(p.allPipelines ? [{ type, id: p.resourceId, authorized: true }] : []);
    }),
  );
}
