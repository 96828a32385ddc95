import type { FastifyInstance, } from "fastify";
import { endpointTypes, } from "./endpoint-views.js";
import { readActionFilter, } from "../endpoints.js";
import { devopsErrors } from "../errors.js";
import type { DevOpsService } from "../service.js";
import { projectReferenceRequests } from "../input.js";
import { readEndpointBodies, readEndpointInput, readEndpointUpdate } from "../endpoint-input.js";
import { csv, devopsHttp, flag, list } from "./shared.js";

/** Service endpoints: list, get, create, update, share, delete, types, execution history. */
export function endpointRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route, view } = devopsHttp(devops);
  app.get(
    "/:org/:project/_apis/serviceendpoint/endpoints",
    route(true, async (request, _reply, caller) => {
      const q = request.query;
      const project = await devops.project(caller, request.params.project!);
      const found = await devops.endpoints.list(
        caller,
        project.id,
        {
          type: q.type,
          authSchemes: csv(q.authSchemes),
          endpointIds: csv(q.endpointIds),
          endpointNames: csv(q.endpointNames),
          owner: q.owner,
          includeFailed: flag(q.includeFailed),
          actionFilter: readActionFilter(q.actionFilter),
        },
      );
      return list(await Promise.all(found.map((e) => view(request, caller, e, true, project))));
    }),
  );
  const getOne = route(true, async (request, _reply, caller) => {
    const project = request.params.project ? await devops.project(caller, request.params.project) : undefined;
    await devops.endpoints.get(caller, request.params.endpointId!, project?.id, readActionFilter(request.query.actionFilter));
    const stored = (await devops.endpoints.load(request.params.endpointId!))!;
    return view(request, caller, stored, false, project);
  });
  app.get("/:org/:project/_apis/serviceendpoint/endpoints/:endpointId", getOne);
  app.get("/:org/_apis/serviceendpoint/endpoints/:endpointId", getOne);
  const create = route(true, async (request, _reply, caller) => {
    return view(request, caller, await devops.endpoints.create(caller, readEndpointInput(request.body), request.params.project), false);
  });
  app.post("/:org/_apis/serviceendpoint/endpoints", create);
  app.post("/:org/:project/_apis/serviceendpoint/endpoints", create);
  const update = route(true, async (request, _reply, caller) => {
    await devops.endpoints.update(caller, request.params.endpointId!, readEndpointUpdate(request.body, request.query.operation));
    return view(request, caller, (await devops.endpoints.load(request.params.endpointId!))!, false);
  });
  app.put("/:org/_apis/serviceendpoint/endpoints/:endpointId", update);
  app.put("/:org/:project/_apis/serviceendpoint/endpoints/:endpointId", update);
  app.put(
    "/:org/_apis/serviceendpoint/endpoints",
    route(true, async (request, _reply, caller) => {
      const updated = await devops.endpoints.updateMany(caller, readEndpointBodies(request.body));
      return list(await Promise.all(updated.map(async (e) => view(request, caller, (await devops.endpoints.load(e.id))!, false))));
    }),
  );
  app.patch(
    "/:org/_apis/serviceendpoint/endpoints/:endpointId",
    route(true, async (request, _reply, caller) => {
      await devops.endpoints.share(caller, request.params.endpointId!, projectReferenceRequests(request.body));
      return undefined;
    }),
  );
  // The older sharing API: which projects share a connection, and share it from one project with another.
  app.get(
    "/:org/_apis/serviceendpoint/endpointproject/:endpointId",
    route(true, async (request, _reply, caller) => {
      const from = await devops.project(caller, request.query.project ?? "");
      const { endpoint } = await devops.endpoints.require(caller, request.params.endpointId!, "Reader", from.id);
      return list((await devops.projectsOf(caller.organization, endpoint)).map((p) => ({ id: p.id, name: p.name })));
    }),
  );
  app.post(
    "/:org/_apis/serviceendpoint/endpointproject/:endpointId",
    route(true, async (request, _reply, caller) => {
      const from = await devops.project(caller, request.query.fromProject ?? "");
      await devops.endpoints.require(caller, request.params.endpointId!, "Administrator", from.id);
      await devops.endpoints.share(caller, request.params.endpointId!, projectReferenceRequests([{ projectReference: { name: request.query.withProject ?? "" } }]));
      return undefined;
    }),
  );
  const remove = route(true, async (request, reply, caller) => {
    const projectIds = csv(request.query.projectIds) ?? (request.params.project ? [request.params.project] : undefined);
    if (!projectIds?.length) throw devopsErrors.argument("The query parameter 'projectIds' is required.");
    // 204 either way: a clean-up that failed shows on the connection itself (operationStatus), as in Azure DevOps.
    await devops.endpoints.delete(caller, request.params.endpointId!, projectIds, flag(request.query.deep));
    return undefined;
  });
  app.delete("/:org/_apis/serviceendpoint/endpoints/:endpointId", remove);
  app.delete("/:org/:project/_apis/serviceendpoint/endpoints/:endpointId", remove);
  app.get(
    "/:org/_apis/serviceendpoint/types",
    route(true, async (request, _reply, caller) => {
      let types: Array<{ name: string; authenticationSchemes: Array<{ scheme: string }> }> = endpointTypes(caller.organization.serverMode);
      if (request.query.type) types = types.filter((t) => t.name.toLowerCase() === request.query.type!.toLowerCase());
      if (request.query.scheme) {
        types = types
          .map((t) => ({ ...t, authenticationSchemes: t.authenticationSchemes.filter((s) => s.scheme.toLowerCase() === request.query.scheme!.toLowerCase()) }))
          .filter((t) => t.authenticationSchemes.length);
      }
      return list(types);
    }),
  );
  app.get(
    "/:org/:project/_apis/serviceendpoint/:endpointId/executionhistory",
    route(true, async (request, reply, caller) => {
      const top = Math.min(Number(request.query.top ?? 50) || 50, 500);
      const before = request.query.continuationToken ? Number(request.query.continuationToken) : undefined;
      const records = await devops.executionHistory(caller, request.params.project!, request.params.endpointId!, top, before);
      if (records.length === top) void reply.header("x-ms-continuationtoken", String(records[records.length - 1]!.id));
      return list(records.map((r) => ({ endpointId: request.params.endpointId!.toLowerCase(), data: { id: r.id, ...r.data } })));
    }),
  );
}
