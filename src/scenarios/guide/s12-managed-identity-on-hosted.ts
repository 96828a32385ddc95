import { join } from "node:path";
import type { Scenario } from "../scenario.js";
import { DeploymentSteps, deployStep } from "./deployment.js";
import { DANA, PRODUCTION } from "./shared.js";

export const S12: Scenario = {
  id: "S12",
  title: "Managed identity on a Microsoft-hosted agent: only a self-hosted agent on the VM has the identity",
  world: "s12-managed-identity-on-hosted.yaml",
  diagnosis: "managed-identity-unsupported",
  steps: (w, workFolder) => {
    const deployment = new DeploymentSteps(w, DANA, join(workFolder, "app"));
    const pipeline = (pool: string) => `pool:\n  ${pool}\nsteps:\n${deployStep("vm-identity", w.subscription(PRODUCTION))}`;
    return {
      given: [deployment.writes("Dana writes a deployment with the managed identity connection 'vm-identity', on the Microsoft-hosted pool", pipeline("vmImage: ubuntu-latest"), "vm-identity")],
      fails: deployment.runFails("Dana runs the pipeline"),
      fix: [deployment.edits("Dana runs the job on the self-hosted pool whose agent VM holds the identity (pool: vm-agents) and pushes", pipeline("name: vm-agents"), "pool: { name: vm-agents }")],
      succeeds: deployment.runSucceeds("Dana runs the pipeline again"),
    };
  },
};
