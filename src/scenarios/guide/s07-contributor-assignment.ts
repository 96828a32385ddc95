import type { Scenario } from "../scenario.js";
import { ADMIN, ConnectionSteps, DANA, DEVELOPMENT, MINUTE } from "./shared.js";

export const S7: Scenario = {
  id: "S7",
  title: "Contributor assignment fails: the user may not assign roles on the subscription",
  world: "s07-contributor-assignment.yaml",
  diagnosis: "contributor-assignment-failed",
  steps: (w) => {
    const connection = new ConnectionSteps(w, DANA, () => w.automatic("dana-development", w.subscription(DEVELOPMENT)));
    return {
      given: [],
      fails: connection.createFails("Dana, Contributor of the subscription, creates an automatic connection"),
      fix: [
        {
          says: "The subscription's Owner gives Dana User Access Administrator on it (the ARM SDK)",
          run: async () => {
            await w.assignRole(ADMIN, `/subscriptions/${w.subscription(DEVELOPMENT)}`, "User Access Administrator", await w.userId(DANA, ADMIN));
            return "Dana is User Access Administrator";
          },
        },
        { says: "Five minutes pass while Azure RBAC propagates", run: () => w.advance(5 * MINUTE + 1) },
      ],
      succeeds: connection.saveAgain("Dana saves the connection again"),
    };
  },
};
