import type { Scenario } from "../scenario.js";
import { ScenarioError } from "../scenario-world.js";
import { ADMIN, ConnectionSteps, operationFailure, PRODUCTION } from "./shared.js";

export const S16: Scenario = {
  id: "S16",
  title: "Delete: the clean-up of a connection whose application is gone fails",
  world: "s16-delete.yaml",
  diagnosis: "delete-cleanup-failed",
  steps: (w) => {
    const connection = new ConnectionSteps(w, ADMIN, () => w.automatic("production", w.subscription(PRODUCTION)));
    const endpoint = () => connection.endpoint!;
    const projectId = async () => (await w.endpoint(ADMIN, endpoint().name!)).serviceEndpointProjectReferences![0]!.projectReference!.id!;
    return {
      given: [connection.create("The administrator creates an automatic workload identity connection"), connection.deleteApplication("Someone deletes its application in Microsoft Entra ID", ADMIN)],
      fails: {
        says: "The administrator deletes the connection, with its clean-up of Azure (deep delete)",
        run: async () => {
          const api = await w.endpointsAs(ADMIN);
          await api.deleteServiceEndpoint(endpoint().id!, [await projectId()], true);
          return { message: operationFailure(await api.getServiceEndpointDetails(w.project, endpoint().id!)) };
        },
      },
      fix: [
        {
          says: "The administrator deletes it again without the clean-up (deep=false): nothing is left in Azure to remove",
          run: async () => {
            await (await w.endpointsAs(ADMIN)).deleteServiceEndpoint(endpoint().id!, [await projectId()], false);
            return "deleted";
          },
        },
      ],
      succeeds: {
        says: "The project's service connections, failed ones included",
        run: async () => {
          const left = await (await w.endpointsAs(ADMIN)).getServiceEndpoints(w.project, undefined, undefined, undefined, undefined, true);
          if (left.some((e) => e.id === endpoint().id)) throw new ScenarioError("the connection is still listed");
          return `${left.length} connection(s): '${endpoint().name}' is gone`;
        },
      },
    };
  },
};
