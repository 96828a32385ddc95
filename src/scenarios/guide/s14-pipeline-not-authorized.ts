import type { Scenario } from "../scenario.js";
import { DeploymentSteps } from "./deployment.js";
import { ADMIN, DANA } from "./shared.js";

export const S14: Scenario = {
  id: "S14",
  title: "Pipeline not authorized: the pipeline was never permitted to use the connection",
  world: "s14-pipeline-not-authorized.yaml",
  diagnosis: "pipeline-not-authorized",
  steps: (w) => {
    const deployment = new DeploymentSteps(w, DANA);
    return {
      given: [],
      fails: deployment.runFails("Dana runs the pipeline 'deploy', which uses the connection 'production'"),
      fix: [
        {
          says: "The connection's administrator permits the pipeline (the connection's Security → Pipeline permissions → +)",
          run: async () => {
            await w.permit(ADMIN, await w.endpoint(ADMIN, "production"), await w.pipelineId(ADMIN, "deploy"));
            return "deploy may use 'production'";
          },
        },
      ],
      succeeds: deployment.runSucceeds("Dana runs the pipeline again"),
    };
  },
};
