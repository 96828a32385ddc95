import type { FastifyInstance } from "fastify";
import { devopsErrors } from "../errors.js";
import type { DevOpsCaller } from "../identities.js";
import { projectReferenceRequests } from "../input.js";
import type { VariableGroup } from "../model.js";
import type { DevOpsService } from "../service.js";
import { readGroupActionFilter, readGroupQueryOrder, readVariableGroupInput } from "../variable-group-input.js";
import { csv, devopsHttp, list, type Req } from "./shared.js";

/**
 * How Azure DevOps shows a variable group (az devops recording `test_variable_group.yaml`, 2025): secrets as
 * `{value: null, isSecret: true}`, `isSecret` left out otherwise; the answer to a write names its author by id only;
 * a project's list leaves `variableGroupProjectReferences` null.
 */
async function groupView(devops: DevOpsService, caller: DevOpsCaller, group: VariableGroup, form: "read" | "write" | "list", projectId?: string) {
  // In a project, the group has the name and description it was given there.
  const here = group.projects.find((p) => p.projectId === projectId);
  const variables: Record<string, Record<string, unknown>> = {};
  for (const [name, v] of Object.entries(group.variables)) {
    variables[name] = {
      value: v.isSecret ? null : v.value,
      ...(v.isSecret ? { isSecret: true } : {}),
      ...(v.isReadOnly ? { isReadOnly: true } : {}),
      ...(v.enabled !== undefined ? { enabled: v.enabled } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      ...(v.expires !== undefined ? { expires: v.expires } : {}),
    };
  }
  const who = async (id: string) => {
    if (form === "write") return { displayName: null, id };
    const identity = await devops.identity(id);
    return { displayName: identity?.displayName ?? null, id, uniqueName: identity?.uniqueName ?? "" };
  };
  const references = await Promise.all(
    group.projects.map(async (p) => {
      const project = await devops.projectById(caller.organization, p.projectId);
      return { projectReference: { id: p.projectId, name: project?.name ?? null }, name: p.name, description: p.description };
    }),
  );
  return {
    variables,
    id: group.id,
    type: group.type,
    ...(group.providerData ? { providerData: group.providerData } : {}),
    name: here?.name ?? group.name,
    description: here?.description ?? group.description,
    createdBy: await who(group.createdBy),
    createdOn: group.createdOn,
    modifiedBy: await who(group.modifiedBy),
    modifiedOn: group.modifiedOn,
    isShared: group.projects.length > 1,
    variableGroupProjectReferences: form === "list" ? null : references,
  };
}

const groupId = (value: string | undefined): number => {
  const id = Number(value);
  if (!value || !Number.isSafeInteger(id) || id <= 0) throw devopsErrors.argument(`The value '${value}' is not valid for groupId.`);
  return id;
};

const optionalNumber = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw devopsErrors.argument(`The value '${value}' is not valid for ${name}.`);
  return n;
};

/** The Library's variable groups: the organization routes (7.x) and the project routes (5.x, the az devops extension). */
export function variableGroupRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route } = devopsHttp(devops);
  const groups = devops.variableGroups;
  const view = (caller: DevOpsCaller, group: VariableGroup, form: "read" | "write" | "list", projectId?: string) => groupView(devops, caller, group, form, projectId);

  app.get(
    "/:org/:project/_apis/distributedtask/variablegroups",
    route(true, async (request: Req, _reply, caller) => {
      const q = request.query;
      const ids = csv(q.groupIds)?.map((id) => groupId(id));
      const found = await groups.list(
        caller,
        request.params.project!,
        { groupName: q.groupName, actionFilter: readGroupActionFilter(q.actionFilter), top: optionalNumber(q.$top, "$top"), continuationToken: optionalNumber(q.continuationToken, "continuationToken"), queryOrder: readGroupQueryOrder(q.queryOrder) },
        ids,
      );
      const projectId = (await devops.project(caller, request.params.project!)).id;
      return list(await Promise.all(found.map((g) => view(caller, g, ids ? "read" : "list", projectId))));
    }),
  );
  app.get(
    "/:org/:project/_apis/distributedtask/variablegroups/:groupId",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      const stored = await groups.get(caller, project.id, groupId(request.params.groupId));
      // A group that does not exist, or that the caller may not see, is no group (200 with null), as in Azure DevOps.
      return stored ? view(caller, stored.group, "read", project.id) : null;
    }),
  );
  app.post(
    "/:org/_apis/distributedtask/variablegroups",
    route(true, async (request, _reply, caller) => view(caller, (await groups.create(caller, readVariableGroupInput(request.body, true))).group, "write")),
  );
  app.post(
    "/:org/:project/_apis/distributedtask/variablegroups",
    route(true, async (request, _reply, caller) => view(caller, (await groups.create(caller, readVariableGroupInput(request.body, false), request.params.project)).group, "write")),
  );
  app.put(
    "/:org/_apis/distributedtask/variablegroups/:groupId",
    route(true, async (request, _reply, caller) => view(caller, (await groups.update(caller, groupId(request.params.groupId), readVariableGroupInput(request.body, true))).group, "write")),
  );
  app.put(
    "/:org/:project/_apis/distributedtask/variablegroups/:groupId",
    route(true, async (request, _reply, caller) => view(caller, (await groups.update(caller, groupId(request.params.groupId), readVariableGroupInput(request.body, false), request.params.project)).group, "write")),
  );
  app.patch(
    "/:org/_apis/distributedtask/variablegroups",
    route(true, async (request, _reply, caller) => {
      const id = groupId(request.query.variableGroupId);
      await groups.share(caller, id, projectReferenceRequests(request.body, "variableGroupProjectReferences"));
      return undefined;
    }),
  );
  app.delete(
    "/:org/_apis/distributedtask/variablegroups/:groupId",
    route(true, async (request, _reply, caller) => {
      const projectIds = csv(request.query.projectIds);
      if (!projectIds?.length) throw devopsErrors.argumentNull("projectIds");
      await groups.delete(caller, groupId(request.params.groupId), projectIds);
      return undefined;
    }),
  );
  app.delete(
    "/:org/:project/_apis/distributedtask/variablegroups/:groupId",
    route(true, async (request, _reply, caller) => {
      await groups.delete(caller, groupId(request.params.groupId), [request.params.project!]);
      return undefined;
    }),
  );
}
