import type { Scenario } from "../scenario.js";
import { ADMIN, ALEX, ConnectionSteps, MINUTE, PRODUCTION } from "./shared.js";

/** Graph's guestUserRoleId for "Guest users have the same access as members". */
const SAME_AS_MEMBERS = "a0b1b346-4d3e-4e8b-98f8-753987be4970";

export const S3: Scenario = {
  id: "S3",
  title: "Guest user: a guest of the directory fails to create the application",
  world: "s03-guest.yaml",
  diagnosis: "guest-permission",
  steps: (w) => {
    const connection = new ConnectionSteps(w, ALEX, () => w.automatic("alex-production", w.subscription(PRODUCTION)));
    return {
      given: [],
      fails: connection.createFails("Alex, a guest from Fabrikam and Owner of the subscription, creates an automatic connection"),
      fix: [
        {
          says: "An administrator sets guest user access to 'same as member users' (Microsoft Graph: the authorization policy)",
          run: async () => {
            await w.graphAs(ADMIN).api("/policies/authorizationPolicy").patch({ guestUserRoleId: SAME_AS_MEMBERS });
            return `guestUserRoleId = ${SAME_AS_MEMBERS}`;
          },
        },
        { says: "Fifteen minutes pass while the directory applies it", run: () => w.advance(15 * MINUTE + 1) },
      ],
      succeeds: connection.saveAgain("Alex saves the connection again"),
    };
  },
};
