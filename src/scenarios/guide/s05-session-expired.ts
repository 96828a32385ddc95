import type { Scenario } from "../scenario.js";
import { ConnectionSteps, DANA, DAY, PRODUCTION } from "./shared.js";

export const S5: Scenario = {
  id: "S5",
  title: "Expired session: the user's sign-in expired before they create a connection",
  world: "s05-session-expired.yaml",
  diagnosis: "session-expired",
  steps: (w) => {
    const connection = new ConnectionSteps(w, DANA, () => w.automatic("dana-production", w.subscription(PRODUCTION)));
    return {
      given: [{ says: "Three months pass without Dana signing in (the refresh token lapses)", run: () => w.advance(91 * DAY) }],
      fails: connection.createFails("Dana creates an automatic connection"),
      fix: [
        {
          says: "Dana signs out and signs in again (a new session)",
          run: async () => {
            await w.signIn(DANA);
            return "signed in";
          },
        },
      ],
      succeeds: connection.saveAgain("Dana saves the connection again"),
    };
  },
};
