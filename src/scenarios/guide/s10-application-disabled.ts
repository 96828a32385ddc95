import type { Scenario } from "../scenario.js";
import { ADMIN, ConnectionSteps, PRODUCTION } from "./shared.js";

/** S10's other cause: the application's service principal is disabled (Enterprise applications > Enabled = No). */
export const S10_DISABLED: Scenario = {
  id: "S10-disabled",
  title: "Application disabled: Verify reports AADSTS7000112; enabling its service principal fixes it",
  world: "s10-application-disabled.yaml",
  diagnosis: "app-disabled",
  steps: (w) => {
    const connection = new ConnectionSteps(w, ADMIN, () => w.automatic("production", w.subscription(PRODUCTION)));
    const enabled = (accountEnabled: boolean) => async () => {
      await w.graphAs(ADMIN).api(`/servicePrincipals/${connection.endpoint!.data!.spnObjectId}`).patch({ accountEnabled });
      return `accountEnabled = ${accountEnabled}`;
    };
    return {
      given: [connection.create("The administrator creates an automatic workload identity connection"), { says: "Someone disables its service principal (Enterprise applications > Enabled for users to sign in = No)", run: enabled(false) }],
      fails: connection.verifyFails("The administrator verifies the connection"),
      fix: [{ says: "The administrator enables the service principal again (Microsoft Graph: accountEnabled)", run: enabled(true) }],
      succeeds: connection.verifyPasses("The administrator verifies the connection again"),
    };
  },
};
