import type { FastifyInstance, } from "fastify";
import { readUnsavedCredentials } from "../endpoint-input.js";
import { devopsErrors } from "../errors.js";
import type { DevOpsService } from "../service.js";
import { devopsHttp, } from "./shared.js";

/** The endpoint proxy: Verify (TestConnection), AzureSubscriptions, and the creation dialog's pickers. */
export function endpointProxyRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route } = devopsHttp(devops);
  app.post(
    "/:org/:project/_apis/serviceendpoint/endpointproxy",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      const body = (request.body ?? {}) as { dataSourceDetails?: { dataSourceName?: string }; dataSourceName?: string; endpointId?: string; serviceEndpointDetails?: unknown };
      const endpointId = request.query.endpointId ?? body.endpointId;
      if (!endpointId) throw devopsErrors.argument("The endpointId is required.");
      const unsaved = body.serviceEndpointDetails ? readUnsavedCredentials(body.serviceEndpointDetails) : undefined;
      const stored = await devops.endpoints.toVerify(caller, endpointId, project.id, unsaved);
      const source = (body.dataSourceDetails?.dataSourceName ?? body.dataSourceName ?? "").toLowerCase();
      const owning = (await devops.projectsOf(caller.organization, stored.endpoint))[0] ?? project;
      const result =
        source === "testconnection"
          ? await devops.proxy.testConnection(caller.organization, owning, stored)
          : source === "azuresubscriptions"
            ? await devops.proxy.connectionSubscriptions(caller.organization, owning, stored)
            : { result: null, statusCode: "badRequest", errorMessage: `The data source '${source}' was not found for the service connection of type '${stored.endpoint.type}'.` };
      // The query form (no endpointId in the query) answers the bare result list.
      return request.query.endpointId ? { ...result, callbackContextParameters: null, callbackRequired: false } : (result.result ?? []);
    }),
  );
  app.get("/:org/_apis/serviceendpoint/endpointproxy/azurermsubscriptions", route(true, async (_request, _reply, caller) => devops.proxy.pickerSubscriptions(caller)));
  app.get("/:org/_apis/serviceendpoint/endpointproxy/azurermmanagementgroups", route(true, async (_request, _reply, caller) => devops.proxy.pickerManagementGroups(caller)));
}
