import type { ScenarioSteps, Step } from "../scenario.js";
import { ScenarioError, type ScenarioWorld } from "../scenario-world.js";
import { ADMIN } from "./shared.js";

/**
 * The deployment the pipeline scenarios run: an ARM template deployment (AzureResourceManagerTemplateDeployment@3,
 * which signs in with the connection itself, no Azure CLI needed) of an empty template into resource group rg-web.
 */
export const EMPTY_TEMPLATE = `${JSON.stringify({ $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", contentVersion: "1.0.0.0", resources: [] }, null, 2)}\n`;

export function deployStep(connection: string, subscriptionId: string): string {
  return `  - task: AzureResourceManagerTemplateDeployment@3
    displayName: Deploy to rg-web
    inputs:
      azureResourceManagerConnection: ${connection}
      subscriptionId: ${subscriptionId}
      resourceGroupName: rg-web
      location: westeurope
      csmFile: infra/empty.json
`;
}

/** The pipeline `deploy` as a person writes, runs and changes it. */
export class DeploymentSteps {
  constructor(
    private readonly w: ScenarioWorld,
    private readonly upn: string,
    /** The working folder its repository reads (for a pipeline the scenario writes). */
    private readonly folder = "",
  ) {}

  /** Writes azure-pipelines.yml in the working folder, makes the pipeline, and permits it to use the connection. */
  writes(says: string, yaml: string, connection: string): Step {
    return {
      says,
      run: async () => {
        await this.w.workingCopy("app", this.folder, { "azure-pipelines.yml": yaml, "infra/empty.json": EMPTY_TEMPLATE });
        const id = await this.w.definePipeline(this.upn, "deploy", "app");
        await this.w.permit(ADMIN, await this.w.endpoint(ADMIN, connection), id);
        return `pipeline deploy (${id}), permitted to use '${connection}'`;
      },
    };
  }

  /** Changes azure-pipelines.yml: what the next run reads, as after a push. */
  edits(says: string, yaml: string, change: string): Step {
    return {
      says,
      run: async () => {
        this.w.write(this.folder, { "azure-pipelines.yml": yaml });
        return change;
      },
    };
  }

  /** Runs it, and what its page shows of the failure: the errors before any job, the timeline's, the failed tasks' logs. */
  runFails(says: string): ScenarioSteps["fails"] {
    return {
      says,
      run: async () => {
        const run = await this.w.runPipeline(this.upn, "deploy");
        if (run.result === "Succeeded") throw new ScenarioError(`run ${run.id} succeeded`);
        return { message: [...run.failure.issues, ...run.failure.failedTasks.flatMap((t) => t.log)].join("\n"), run: run.failure };
      },
    };
  }

  runSucceeds(says: string): Step {
    return {
      says,
      run: async () => {
        const run = await this.w.runPipeline(this.upn, "deploy");
        if (run.result !== "Succeeded") throw new ScenarioError(`run ${run.id} ${run.result.toLowerCase()}`);
        return `run ${run.id} succeeded`;
      },
    };
  }
}
