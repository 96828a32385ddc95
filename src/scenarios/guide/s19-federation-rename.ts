import type { Scenario } from "../scenario.js";
import { DeploymentSteps } from "./deployment.js";
import { ADMIN, DANA } from "./shared.js";

export const S19: Scenario = {
  id: "S19",
  title: "Workload identity federation: renaming the project breaks a connection's older-form subject",
  world: "s19-federation-rename.yaml",
  diagnosis: "wif-subject-mismatch",
  steps: (w) => {
    const deployment = new DeploymentSteps(w, DANA);
    return {
      given: [
        {
          says: "The project administrator renames the project 'web' to 'storefront' (its connection 'deploy' trusts sc://contoso/web/deploy)",
          run: async () => {
            await w.renameProject(ADMIN, "storefront");
            return "project renamed";
          },
        },
      ],
      fails: deployment.runFails("Dana runs the pipeline 'deploy'"),
      fix: [
        {
          says: "The administrator opens the connection and saves it (Edit → Save): its application trusts the new subject",
          run: async () => {
            const endpoint = await w.endpoint(ADMIN, "deploy");
            const saved = await w.save(ADMIN, endpoint);
            return `subject ${saved.authorization!.parameters!.workloadIdentityFederationSubject}`;
          },
        },
      ],
      succeeds: deployment.runSucceeds("Dana runs the pipeline again"),
    };
  },
};
