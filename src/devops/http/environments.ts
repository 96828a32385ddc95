import type { FastifyInstance } from "fastify";
import { devopsErrors } from "../errors.js";
import type { DevOpsCaller } from "../identities.js";
import { readEnvironmentInput } from "../input.js";
import type { DeploymentRecord, Environment } from "../model.js";
import type { DevOpsService } from "../service.js";
import { devopsHttp, list, type Req } from "./shared.js";

/** Azure Pipelines' service owner, which owns the plans of YAML runs (`serviceOwner` of deployment records). */
const PIPELINES_SERVICE_OWNER = "00025394-6065-48ca-87d9-7f5672854ef7";

async function environmentView(devops: DevOpsService, caller: DevOpsCaller, environment: Environment) {
  const who = async (id: string) => {
    const identity = await devops.identity(id);
    return { displayName: identity?.displayName ?? null, id, uniqueName: identity?.uniqueName ?? "" };
  };
  const project = await devops.projectById(caller.organization, environment.projectId);
  return {
    id: environment.id,
    name: environment.name,
    description: environment.description,
    createdBy: await who(environment.createdBy),
    createdOn: environment.createdOn,
    lastModifiedBy: await who(environment.lastModifiedBy),
    lastModifiedOn: environment.lastModifiedOn,
    project: { id: environment.projectId, name: project?.name ?? null },
  };
}

const deploymentView = (record: DeploymentRecord) => ({ ...record, serviceOwner: PIPELINES_SERVICE_OWNER, planType: "Build", scopeId: record.projectId, projectId: undefined });

const environmentId = (value: string | undefined): number => {
  const id = Number(value);
  if (!value || !Number.isSafeInteger(id) || id <= 0) throw devopsErrors.argument(`The value '${value}' is not valid for environmentId.`);
  return id;
};

/** How many items a page holds: `$top` (or `top`), at most 1000. */
const pageSize = (value: string | undefined, fallback: number): number => {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw devopsErrors.argument(`The value '${value}' is not valid for top.`);
  return Math.min(n, 1000);
};

const token = (value: string | undefined): number | undefined => {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw devopsErrors.argument(`The value '${value}' is not valid for continuationToken.`);
  return n;
};

/**
 * Pipeline environments (`distributedtask/environments`, location 8572b1fc…) and their deployment records
 * (`…/environmentdeploymentrecords`, location 51bb5d21…). Pages carry their continuation in `x-ms-continuationtoken`.
 */
export function environmentRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route } = devopsHttp(devops);
  const environments = devops.environments;
  const base = "/:org/:project/_apis/distributedtask/environments";

  app.get(
    base,
    route(true, async (request: Req, reply, caller) => {
      const q = request.query;
      const page = await environments.list(caller, request.params.project!, { name: q.name, top: pageSize(q.$top, 50), continuationToken: token(q.continuationToken) });
      if (page.continuationToken !== null) void reply.header("x-ms-continuationtoken", String(page.continuationToken));
      return list(await Promise.all(page.environments.map((e) => environmentView(devops, caller, e))));
    }),
  );
  app.get(
    `${base}/:environmentId`,
    route(true, async (request, _reply, caller) => environmentView(devops, caller, await environments.require(caller, request.params.project!, environmentId(request.params.environmentId), "Reader"))),
  );
  app.post(
    base,
    route(true, async (request, _reply, caller) => {
      const input = readEnvironmentInput(request.body, true);
      return environmentView(devops, caller, await environments.create(caller, request.params.project!, input.name!, input.description ?? ""));
    }),
  );
  app.patch(
    `${base}/:environmentId`,
    route(true, async (request, _reply, caller) => {
      const input = readEnvironmentInput(request.body, false);
      return environmentView(devops, caller, await environments.update(caller, request.params.project!, environmentId(request.params.environmentId), input));
    }),
  );
  app.delete(
    `${base}/:environmentId`,
    route(true, async (request, _reply, caller) => {
      await environments.delete(caller, request.params.project!, environmentId(request.params.environmentId));
      return undefined;
    }),
  );
  app.get(
    `${base}/:environmentId/environmentdeploymentrecords`,
    route(true, async (request, reply, caller) => {
      const top = pageSize(request.query.top ?? request.query.$top, 50);
      const records = await environments.deployments(caller, request.params.project!, environmentId(request.params.environmentId), top, token(request.query.continuationToken));
      if (records.length === top) void reply.header("x-ms-continuationtoken", String(records[records.length - 1]!.id));
      return list(records.map(deploymentView));
    }),
  );
}
