import type { FastifyInstance, } from "fastify";
import { organizationUrl } from "../../http/wire.js";
import { locations } from "./discovery.js";
import type { DevOpsService } from "../service.js";
import type { Organization, Project, } from "../model.js";
import { projectChanges } from "../input.js";
import { identityView } from "./endpoint-views.js";
import { devopsErrors } from "../errors.js";
import { devopsHttp, list, type Req } from "./shared.js";

/** Discovery (resource areas, OPTIONS locations), connection data and projects. */
export function coreRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route } = devopsHttp(devops);
  for (const path of ["/:org/_apis", "/:org/_apis/:area"]) {
    app.route({ method: "OPTIONS", url: path, handler: route(false, async (request) => locations(request.params.area)) });
  }
  // The on-premises form: every area lives at the organization URL (clients then ask for nothing else).
  app.get("/:org/_apis/ResourceAreas", route(false, async () => ({ count: 0, value: null })));
  // The Identities API's search (`searchFilter=General&filterValue=…`), what identity pickers call as one types.
  app.get(
    "/:org/_apis/identities",
    route(false, async (request, _reply, caller) => {
      const query = request.query as Record<string, string | undefined>;
      if ((query.searchFilter ?? "").toLowerCase() !== "general") throw devopsErrors.argument("Only searchFilter=General is supported, with filterValue naming who to find.");
      const value = (await devops.identities.search(caller, String(query.filterValue ?? "").slice(0, 256))).map(identityView);
      return { count: value.length, value };
    }),
  );
  app.get("/:org/_apis/ResourceAreas/:areaId", route(false, async () => undefined));
  app.get(
    "/:org/_apis/connectionData",
    route(false, async (_request, _reply, caller) => {
      const identity = { id: caller.identity.id, descriptor: `aad.${Buffer.from(caller.identity.id).toString("base64url")}`, subjectDescriptor: `aad.${Buffer.from(caller.identity.id).toString("base64url")}`, providerDisplayName: caller.identity.displayName, isActive: true, properties: { Account: { $type: "System.String", $value: caller.identity.uniqueName } } };
      return {
        authenticatedUser: identity,
        authorizedUser: identity,
        instanceId: caller.organization.id,
        deploymentId: caller.organization.id,
        // azure-devops-node-api's DeploymentFlags: "hosted" (Azure DevOps Services), "onPremises" (Server).
        deploymentType: caller.organization.serverMode ? "onPremises" : "hosted",
        locationServiceData: { serviceOwner: "00025394-6065-48ca-87d9-7f5672854ef7", defaultAccessMappingMoniker: "PublicAccessMapping", lastChangeId: 1, lastChangeId64: 1, accessMappings: [], serviceDefinitions: [] },
      };
    }),
  );
  const projectView = (request: Req, org: Organization, p: Project) => ({
    id: p.id,
    name: p.name,
    description: p.description ?? undefined,
    url: `${organizationUrl(request, org.name)}/_apis/projects/${p.id}`,
    state: "wellFormed",
    revision: 1,
    visibility: "private",
    lastUpdateTime: p.createdAt,
  });
  app.get(
    "/:org/_apis/projects",
    route(true, async (request, _reply, caller) => {
      const all = (await devops.projects(caller)).map((p) => projectView(request, caller.organization, p));
      const skip = Number(request.query.$skip ?? 0) || 0;
      const top = Number(request.query.$top ?? 100) || 100;
      return list(all.slice(skip, skip + top));
    }),
  );
  app.get("/:org/_apis/projects/:project", route(true, async (request, _reply, caller) => projectView(request, caller.organization, await devops.project(caller, request.params.project!))));
  app.patch(
    "/:org/_apis/projects/:project",
    route(true, async (request, reply, caller) => {
      const project = await devops.renameProject(caller, request.params.project!, projectChanges(request.body));
      void reply.status(202);
      return { id: project.id, status: "succeeded", url: `${organizationUrl(request, caller.organization.name)}/_apis/operations/${project.id}` };
    }),
  );
  app.post("/:org/_apis/customerintelligence/Events", route(false, async () => undefined));
}
