import type { Scenario } from "../scenario.js";
import { ADMIN, ConnectionSteps, PRODUCTION } from "./shared.js";

export const S10: Scenario = {
  id: "S10",
  title: "Application deleted: Verify reports AADSTS700016; restoring the application fixes it",
  world: "s10-application-deleted.yaml",
  diagnosis: "app-not-found",
  steps: (w) => {
    const connection = new ConnectionSteps(w, ADMIN, () => w.automatic("production", w.subscription(PRODUCTION)));
    return {
      given: [connection.create("The administrator creates an automatic workload identity connection"), connection.deleteApplication("Someone cleaning up Microsoft Entra ID deletes its application", ADMIN)],
      fails: connection.verifyFails("The administrator verifies the connection"),
      fix: [
        {
          says: "The administrator restores the application from Deleted applications (Microsoft Graph: directory/deletedItems)",
          run: async () => {
            await w.graphAs(ADMIN).api(`/directory/deletedItems/${connection.endpoint!.data!.appObjectId}/restore`).post({});
            return "the application is back with its credentials";
          },
        },
      ],
      succeeds: connection.verifyPasses("The administrator verifies the connection again"),
    };
  },
};
