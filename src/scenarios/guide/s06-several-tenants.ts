import type { Scenario } from "../scenario.js";
import { ALEX, ALEX_HOME, ConnectionSteps, PRODUCTION } from "./shared.js";

const FABRIKAM = "9a1de000-7e4a-4000-8000-000000000002";

export const S6: Scenario = {
  id: "S6",
  title: "Several tenants: the user's session is for another tenant than the subscription's",
  world: "s06-several-tenants.yaml",
  diagnosis: "subscription-in-other-tenant",
  steps: (w) => {
    const connection = new ConnectionSteps(w, ALEX, () => w.automatic("alex-production", w.subscription(PRODUCTION)));
    const signIn = (tenantId: string) => async () => {
      await w.signIn(ALEX_HOME, tenantId);
      return `session for tenant ${tenantId}`;
    };
    return {
      given: [{ says: "Alex last signed in to Fabrikam, their home tenant", run: signIn(FABRIKAM) }],
      fails: connection.createFails("Alex creates an automatic connection on Contoso's subscription"),
      fix: [{ says: "Alex signs in again, to the Contoso tenant", run: signIn(w.tenantId) }],
      succeeds: connection.saveAgain("Alex saves the connection again"),
    };
  },
};
