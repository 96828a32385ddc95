import { join } from "node:path";
import type { Scenario } from "../scenario.js";
import { DeploymentSteps, deployStep } from "./deployment.js";
import { DANA, PRODUCTION } from "./shared.js";

export const S11: Scenario = {
  id: "S11",
  title: "Subscription from a variable: a connection named by a variable set at run time",
  world: "s11-subscription-from-variable.yaml",
  diagnosis: "subscription-variable-runtime",
  steps: (w, workFolder) => {
    const deployment = new DeploymentSteps(w, DANA, join(workFolder, "app"));
    const deploy = () => deployStep("$(connection)", w.subscription(PRODUCTION));
    return {
      given: [
        deployment.writes(
          "Dana writes a pipeline whose first step chooses the connection (task.setvariable) and whose deployment names it as $(connection)",
          `steps:\n  - bash: echo "##vso[task.setvariable variable=connection]production"\n    displayName: Choose the connection\n${deploy()}`,
          "production",
        ),
      ],
      fails: deployment.runFails("Dana runs the pipeline"),
      fix: [deployment.edits("Dana names the connection in the pipeline's variables, known when the run is compiled, and pushes", `variables:\n  connection: production\nsteps:\n${deploy()}`, "variables: { connection: production }")],
      succeeds: deployment.runSucceeds("Dana runs the pipeline again"),
    };
  },
};
