import type { Scenario } from "../scenario.js";
import { ADMIN, ConnectionSteps, DANA, MINUTE, PRODUCTION } from "./shared.js";

const APPLICATION_DEVELOPER = "cf1c38e5-3621-4004-a7cb-879624dced7c";

export const S4: Scenario = {
  id: "S4",
  title: "App registration not allowed: a member may not register applications",
  world: "s04-app-registration-off.yaml",
  diagnosis: "app-registration-disallowed",
  steps: (w) => {
    const connection = new ConnectionSteps(w, DANA, () => w.automatic("dana-production", w.subscription(PRODUCTION)));
    return {
      given: [],
      fails: connection.createFails("Dana, a member and Owner of the subscription, creates an automatic connection while 'Users can register applications' is off"),
      fix: [
        {
          says: "An administrator gives Dana the Application Developer directory role (Microsoft Graph)",
          run: async () => {
            const principalId = await w.userId(DANA, ADMIN);
            await w.graphAs(ADMIN).api("/roleManagement/directory/roleAssignments").post({ principalId, roleDefinitionId: APPLICATION_DEVELOPER, directoryScopeId: "/" });
            return "Dana is Application Developer";
          },
        },
        { says: "Fifteen minutes pass while the directory applies it", run: () => w.advance(15 * MINUTE + 1) },
      ],
      succeeds: connection.saveAgain("Dana saves the connection again"),
    };
  },
};
