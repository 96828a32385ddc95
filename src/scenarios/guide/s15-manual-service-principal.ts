import type { ServiceEndpoint } from "azure-devops-node-api/interfaces/ServiceEndpointInterfaces.js";
import type { Scenario } from "../scenario.js";
import { ConnectionSteps, DANA, PRODUCTION } from "./shared.js";

/** The application an administrator made for the team, and the secret they handed over (scenarios/s15-…yaml). */
const APP_ID = "9a1de000-a440-4000-8000-000000000015";
const SECRET = "Gde8Q~manual.connection.secret.local.only.15";

export const S15: Scenario = {
  id: "S15",
  title: "Manual service principal: a connection made from an existing application, with a mistyped secret",
  world: "s15-manual-service-principal.yaml",
  diagnosis: "secret-invalid",
  steps: (w) => {
    const manual = (key: string): ServiceEndpoint => ({
      name: "production-manual",
      type: "azurerm",
      url: "https://management.azure.com/",
      owner: "library",
      authorization: { scheme: "ServicePrincipal", parameters: { tenantid: w.tenantId, serviceprincipalid: APP_ID, authenticationType: "spnKey", serviceprincipalkey: key } },
      data: { subscriptionId: w.subscription(PRODUCTION), subscriptionName: PRODUCTION, environment: "AzureCloud", scopeLevel: "Subscription", creationMode: "Manual" },
      serviceEndpointProjectReferences: [{ projectReference: { name: w.project }, name: "production-manual", description: "" }],
    });
    const connection = new ConnectionSteps(w, DANA, () => manual(`${SECRET.slice(0, -1)}x`));
    return {
      given: [connection.create("Dana, without directory rights, creates a manual connection from the administrator's application id and secret (one character mistyped)")],
      fails: connection.verifyFails("Dana verifies the connection"),
      fix: [
        {
          says: "Dana pastes the secret again (Edit → the secret → Save)",
          run: async () => {
            connection.endpoint = await w.save(DANA, { ...manual(SECRET), id: connection.endpoint!.id });
            return "the connection holds the right secret";
          },
        },
      ],
      succeeds: connection.verifyPasses("Dana verifies the connection again"),
    };
  },
};
