import type { Scenario } from "../scenario.js";
import { ADMIN, ConnectionSteps, DAY, PRODUCTION } from "./shared.js";

export const S9: Scenario = {
  id: "S9",
  title: "Secret expired: the connection's client secret ran out after three months",
  world: "s09-secret-expired.yaml",
  diagnosis: "secret-expired",
  steps: (w) => {
    const connection = new ConnectionSteps(w, ADMIN, () => w.automatic("production-secret", w.subscription(PRODUCTION), "ServicePrincipal"));
    return {
      given: [connection.create("The administrator creates an automatic connection with a secret (valid three months)"), { says: "Ninety-three days pass", run: () => w.advance(93 * DAY) }],
      fails: connection.verifyFails("The administrator verifies the connection (Edit → Verify)"),
      fix: [
        {
          says: "The administrator signs in again and rotates the secret (the connection's Rotate secret)",
          run: async () => {
            await w.signIn(ADMIN);
            await (await w.endpointsAs(ADMIN)).updateServiceEndpoint(connection.endpoint!, connection.endpoint!.id!, "RotateSecret");
            return "a new secret, valid three months, is in the connection";
          },
        },
      ],
      succeeds: connection.verifyPasses("The administrator verifies the connection again"),
    };
  },
};
