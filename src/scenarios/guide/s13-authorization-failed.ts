import type { Scenario } from "../scenario.js";
import { DeploymentSteps } from "./deployment.js";
import { ADMIN, DANA, MINUTE, PRODUCTION } from "./shared.js";

export const S13: Scenario = {
  id: "S13",
  title: "AuthorizationFailed: the connection's service principal has no role that allows the deployment",
  world: "s13-authorization-failed.yaml",
  diagnosis: "rbac-authorization-failed",
  steps: (w) => {
    const deployment = new DeploymentSteps(w, DANA);
    return {
      given: [],
      fails: deployment.runFails("Dana runs the pipeline 'deploy' (its connection is Reader of rg-web)"),
      fix: [
        {
          says: "The Owner gives the connection's service principal Contributor on rg-web (the ARM SDK)",
          run: async () => {
            const endpoint = await w.endpoint(ADMIN, "deploy");
            const principalId = await w.servicePrincipalId(endpoint.authorization!.parameters!.serviceprincipalid!, ADMIN);
            await w.assignRole(ADMIN, `/subscriptions/${w.subscription(PRODUCTION)}/resourceGroups/rg-web`, "Contributor", principalId);
            return `service principal ${principalId} is Contributor of rg-web`;
          },
        },
        { says: "Five minutes pass while Azure RBAC propagates", run: () => w.advance(5 * MINUTE + 1) },
      ],
      succeeds: deployment.runSucceeds("Dana runs the pipeline again"),
    };
  },
};
