import type { FastifyInstance } from "fastify";
import { organizationUrl } from "../../http/wire.js";
import { readCheckInput } from "../check-input.js";
import { CHECK_TYPES } from "../checks.js";
import { devopsErrors } from "../errors.js";
import type { DevOpsCaller } from "../identities.js";
import type { CheckConfiguration } from "../model.js";
import type { DevOpsService } from "../service.js";
import { devopsHttp, list, type Req } from "./shared.js";

/**
 * A check configuration as Azure DevOps shows it (the terraform provider's `CheckConfiguration`): settings only when
 * asked for (`$expand=settings`) and in the answers to writes, identities with their names.
 */
async function checkView(devops: DevOpsService, request: Req, caller: DevOpsCaller, check: CheckConfiguration, withSettings: boolean) {
  const who = async (id: string) => {
    const identity = await devops.identity(id);
    return { displayName: identity?.displayName ?? null, id, uniqueName: identity?.uniqueName ?? "" };
  };
  const url = `${organizationUrl(request, caller.organization.name)}/${check.projectId}/_apis/pipelines/checks/configurations/${check.id}`;
  let settings = check.settings;
  if (check.type === "Approval") {
    const named = async (list: unknown) => Promise.all(((list as Array<{ id: string }>) ?? []).map((a) => who(a.id)));
    settings = { ...settings, approvers: await named(settings.approvers), blockedApprovers: await named(settings.blockedApprovers) };
  }
  return {
    ...(withSettings ? { settings } : {}),
    createdBy: await who(check.createdBy),
    createdOn: check.createdOn,
    modifiedBy: await who(check.modifiedBy),
    modifiedOn: check.modifiedOn,
    timeout: check.timeout,
    _links: { self: { href: url } },
    id: check.id,
    version: check.version,
    type: { id: CHECK_TYPES[check.type], name: check.type },
    url,
    resource: { type: check.resource.type, id: check.resource.id, name: await devops.checks.resourceName(check) },
  };
}

const checkId = (value: string | undefined): number => {
  const id = Number(value);
  if (!value || !Number.isSafeInteger(id) || id <= 0) throw devopsErrors.argument(`The value '${value}' is not valid for id.`);
  return id;
};

const expandsSettings = (request: Req) => (request.query.$expand ?? "").toLowerCase().split(",").includes("settings");

/** Checks on protected resources: `{project}/_apis/pipelines/checks/configurations` (location 86c8381e…). */
export function checkRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route } = devopsHttp(devops);
  const base = "/:org/:project/_apis/pipelines/checks/configurations";
  const view = (request: Req, caller: DevOpsCaller, check: CheckConfiguration, withSettings: boolean) => checkView(devops, request, caller, check, withSettings);

  app.get(
    base,
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      const found = await devops.checks.list(caller, project, { type: request.query.resourceType, id: request.query.resourceId });
      return list(await Promise.all(found.map((c) => view(request, caller, c, expandsSettings(request)))));
    }),
  );
  app.get(
    `${base}/:id`,
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      return view(request, caller, await devops.checks.get(caller, project, checkId(request.params.id)), expandsSettings(request));
    }),
  );
  app.post(
    base,
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      return view(request, caller, await devops.checks.create(caller, project, readCheckInput(request.body)), true);
    }),
  );
  app.patch(
    `${base}/:id`,
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      return view(request, caller, await devops.checks.update(caller, project, checkId(request.params.id), readCheckInput(request.body)), true);
    }),
  );
  app.delete(
    `${base}/:id`,
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      await devops.checks.delete(caller, project, checkId(request.params.id));
      return undefined;
    }),
  );
}
