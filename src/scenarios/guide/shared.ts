import type { ServiceEndpoint } from "azure-devops-node-api/interfaces/ServiceEndpointInterfaces.js";
import type { ScenarioSteps, Step } from "../scenario.js";
import { ScenarioError, type ScenarioWorld } from "../scenario-world.js";

/** The people of the scenario worlds (scenarios/*.yaml), by user principal name. */
export const ADMIN = "admin@contoso.onmicrosoft.com";
export const DANA = "dana@contoso.onmicrosoft.com";
export const RILEY = "riley@contoso.onmicrosoft.com";
/** Alex from Fabrikam, a guest in Contoso: the guest account, and their home account. */
export const ALEX = "alex_fabrikam.onmicrosoft.com#EXT#@contoso.onmicrosoft.com";
export const ALEX_HOME = "alex@fabrikam.onmicrosoft.com";
export const PRODUCTION = "Contoso Production";
export const DEVELOPMENT = "Contoso Development";
export const MINUTE = 60;
export const DAY = 86_400;

/** The error an action answered with; an action that succeeds is not the failure the guide describes. */
export async function refusal(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new ScenarioError("the action succeeded");
}

/**
 * A connection a person works with through a scenario: the steps that make, save, verify it or delete its
 * application, each remembering the connection for the steps after.
 */
export class ConnectionSteps {
  endpoint?: ServiceEndpoint;

  constructor(
    private readonly w: ScenarioWorld,
    private readonly upn: string,
    private readonly body: () => ServiceEndpoint,
  ) {}

  private get saved(): ServiceEndpoint {
    if (!this.endpoint) throw new ScenarioError("the connection was not made");
    return this.endpoint;
  }

  create(says: string): Step {
    return { says, run: async () => ready(await this.made()) };
  }

  createFails(says: string): ScenarioSteps["fails"] {
    return { says, run: async () => ({ message: operationFailure(await this.made()) }) };
  }

  private async made(): Promise<ServiceEndpoint> {
    this.endpoint = await this.w.create(this.upn, this.body());
    return this.endpoint;
  }

  /** Edit → Save: a failed automatic creation runs its steps again. */
  saveAgain(says: string): Step {
    return { says, run: async () => ready(await this.w.save(this.upn, this.saved)) };
  }

  verifyFails(says: string): ScenarioSteps["fails"] {
    return {
      says,
      run: async () => {
        const message = await this.w.verify(this.upn, this.saved);
        if (!message) throw new ScenarioError("Verify passed");
        return { message };
      },
    };
  }

  verifyPasses(says: string): Step {
    return { says, run: async () => passed(await this.w.verify(this.upn, this.saved)) };
  }

  deleteApplication(says: string, by: string): Step {
    return {
      says,
      run: async () => {
        await this.w.graphAs(by).api(`/applications/${this.saved.data!.appObjectId}`).delete();
        return `application ${this.saved.authorization!.parameters!.serviceprincipalid} deleted`;
      },
    };
  }
}

/** A connection whose creation (or deep delete) failed: its status message. */
export function operationFailure(endpoint: ServiceEndpoint): string {
  if (endpoint.operationStatus?.state !== "Failed") throw new ScenarioError(`the connection is ${endpoint.operationStatus?.state ?? "without a status"}`);
  return String(endpoint.operationStatus.statusMessage ?? "");
}

export function ready(endpoint: ServiceEndpoint): string {
  if (!endpoint.isReady) throw new ScenarioError(String(endpoint.operationStatus?.statusMessage ?? "the connection is not ready"));
  return `'${endpoint.name}' is Ready`;
}

export function passed(verifyMessage: string): string {
  if (verifyMessage) throw new ScenarioError(verifyMessage);
  return "Verify: the connection works";
}
