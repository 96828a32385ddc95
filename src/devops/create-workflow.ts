import type { Clock } from "../core/clock.js";
import type { OperationLeases } from "../core/leases.js";
import type { Logger } from "../core/logging.js";
import { federatedCredentialFor } from "./federation.js";
import type { DevOpsIdentity, Organization, Project, ServiceEndpoint } from "./model.js";
import { ARM_RESOURCE, CONTRIBUTOR_ROLE_DEFINITION_ID, GRAPH_RESOURCE, GUESTS_AS_MEMBERS_ROLE_ID, isPortError, type ArmApi, type ArmAs, type EntraApi, type GraphAs, type UserSessionRef } from "./ports.js";

/** A step of automatic creation failed; the message is what `operationStatus.statusMessage` shows. */
export class StepFailure extends Error {}

export const messages = {
  sessionExpired: (detail: string) =>
    `Failed to obtain an access token. A valid refresh token wasn't found. Sign out of Azure DevOps, sign in again and retry.${detail ? ` ${detail}` : ""}`,
  noSubscription: () => "You don't appear to have an active Azure subscription.",
  guest: (detail: string) =>
    `Failed to create an app in Microsoft Entra ID. Error: The user has only guest permission in the directory. ${detail} Ensure that the user has permissions to create a Microsoft Entra Application.`,
  appRegistration: () =>
    "Failed to create an app in Microsoft Entra ID. Error: Insufficient privileges to complete the operation in Microsoft Graph. Ensure that the user has permissions to create a Microsoft Entra Application.",
  contributor: (code: string, detail: string) =>
    `Failed to assign Contributor role. Ensure that the user has 'Owner' or 'User Access Administrator' permissions on the Azure Resource Manager scope. ${code}: ${detail}`,
};

const STEPS = [
  "connect to the Microsoft Entra tenant of the subscription",
  "create an application in Microsoft Entra ID on your behalf",
  "assign the application the Contributor role",
  "save the service connection",
];
/** Which step failed, kept beside the message (Azure DevOps shows the message alone). */
export const failedStep = (n: number) => ({ number: n, of: STEPS.length, name: STEPS[n - 1]! });

/** Secrets Azure DevOps makes for a connection are valid three months. */
export const threeMonthsFrom = (ms: number) => {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + 3);
  return d.toISOString();
};

/** The ARM scope an azurerm connection grants on. */
export function endpointScope(endpoint: ServiceEndpoint): string {
  const d = endpoint.data;
  if (endpoint.parameters.scope) return endpoint.parameters.scope;
  if (d.scopeLevel === "ManagementGroup") return `/providers/Microsoft.Management/managementGroups/${d.managementGroupId}`;
  if (d.scopeLevel === "AzureMLWorkspace") {
    return `/subscriptions/${d.subscriptionId}/resourceGroups/${d.resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/${d.mlWorkspaceName}`;
  }
  return `/subscriptions/${d.subscriptionId}`;
}

/** A connection's data without what automatic creation records as it goes (the identity it made). */
function withoutProgress(data: Record<string, string>): Record<string, string> {
  const { appObjectId: _a, spnObjectId: _s, azureSpnRoleAssignmentId: _r, azureSpnPermissions: _p, ...rest } = data;
  return rest;
}

export interface UserAccess {
  session: UserSessionRef;
  arm: ArmAs;
  graph: () => Promise<GraphAs>;
}

/**
 * The four steps Azure DevOps performs when an automatic azurerm connection is saved (SPEC S1), acting with the
 * creating user's own session and rights through the Entra and ARM interfaces: so guests, disabled app
 * registration, expired sessions, other tenants and missing role-assignment rights fail from the real checks.
 * What an earlier step made is removed when a later one fails.
 */
export class AutomaticCreation {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly clock: Clock,
    private readonly entra: EntraApi,
    private readonly arm: ArmApi,
    private readonly logger: Logger,
    private readonly leases: OperationLeases,
  ) {}

  /** Resolves when every creation started so far has finished (tests and embedders wait on it). */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  start(input: { endpoint: ServiceEndpoint; organization: Organization; project: Project; creator: DevOpsIdentity; save: (endpoint: ServiceEndpoint, secrets: Record<string, string>) => Promise<void> }): void {
    // Held under a lease while it runs: if this process stops, another one (or the next start) undoes it.
    const id = input.endpoint.id;
    const run = this.leases
      .hold("creation", id)
      .then(() => this.run(input))
      .catch((error) => this.logger.error({ err: error, endpoint: id }, "automatic creation failed unexpectedly"))
      .finally(() => this.leases.release("creation", id).catch((err) => this.logger.error({ err, endpoint: id }, "cannot release a creation's lease")));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** The user's current session, a token for ARM from it, and Graph on demand: or the S5/S6 failure. */
  async userAccess(organization: Organization, user: DevOpsIdentity): Promise<UserAccess> {
    if (!user.entraObjectId) throw new StepFailure(messages.sessionExpired(""));
    const session = await this.entra.currentSession(organization.tenantId, user.entraObjectId);
    if (!session) throw new StepFailure(messages.sessionExpired(""));
    let armToken: string;
    try {
      armToken = await this.entra.sessionToken(session, ARM_RESOURCE);
    } catch (error) {
      if (isPortError(error, "entra")) throw new StepFailure(messages.sessionExpired(error.message));
      throw error;
    }
    return {
      session,
      arm: await this.arm.as(armToken),
      graph: async () => this.entra.graph(await this.entra.sessionToken(session, GRAPH_RESOURCE)),
    };
  }

  /**
   * A creation that never finished (svcconn stopped while it ran): undo what its saved progress says it made, as
   * the creator, and fail it with a message saying so; saving the connection again runs the steps anew.
   */
  async recover(input: { endpoint: ServiceEndpoint; organization: Organization; creator: DevOpsIdentity | undefined; save: (endpoint: ServiceEndpoint, secrets: Record<string, string>) => Promise<void> }): Promise<void> {
    const { endpoint, organization, creator } = input;
    const left: string[] = [];
    const { appObjectId, azureSpnRoleAssignmentId } = endpoint.data;
    if (appObjectId || azureSpnRoleAssignmentId) {
      try {
        if (!creator) throw new StepFailure("The user who created it is no longer a member of the organization.");
        const access = await this.userAccess(organization, creator);
        if (azureSpnRoleAssignmentId) {
          await access.arm.removeRoleAssignment(endpointScope(endpoint), azureSpnRoleAssignmentId).catch((error: Error) => void left.push(`the role assignment '${azureSpnRoleAssignmentId}' (${error.message})`));
        }
        if (appObjectId) await (await access.graph()).deleteApplication(appObjectId).catch((error: Error) => void left.push(`the application '${appObjectId}' (${error.message})`));
      } catch (error) {
        if (!(error instanceof StepFailure) && !isPortError(error)) throw error;
        if (azureSpnRoleAssignmentId) left.push(`the role assignment '${azureSpnRoleAssignmentId}'`);
        if (appObjectId) left.push(`the application '${appObjectId}'`);
        left.push(`(${error.message})`);
      }
    }
    const data = withoutProgress(endpoint.data);
    const statusMessage = `The service connection was not created: svcconn stopped while it was being created.${
      left.length ? ` Remove what was left in Azure by hand: ${left.join(", ")}.` : appObjectId ? " What the creation had made in Azure was removed." : ""
    } Save the service connection again to retry.`;
    await input.save(
      { ...endpoint, data, isReady: false, operationStatus: { state: "Failed", statusMessage }, modificationDate: this.clock.now().toISOString() },
      {},
    );
  }

  private async run(input: { endpoint: ServiceEndpoint; organization: Organization; project: Project; creator: DevOpsIdentity; save: (endpoint: ServiceEndpoint, secrets: Record<string, string>) => Promise<void> }) {
    const { organization, project, creator, save } = input;
    let endpoint = input.endpoint;
    const undo: Array<() => Promise<unknown>> = [];
    const fail = async (stepNumber: number, message: string) => {
      for (const action of undo.reverse()) await action().catch(() => undefined);
      endpoint = {
        ...endpoint,
        data: withoutProgress(endpoint.data),
        isReady: false,
        operationStatus: { state: "Failed", statusMessage: message, failedStep: failedStep(stepNumber) },
        modificationDate: this.clock.now().toISOString(),
      };
      await save(endpoint, {});
    };

    // Step 1: the user's session, and the tenant of the chosen scope.
    let access: UserAccess;
    const scope = endpointScope(endpoint);
    try {
      access = await this.userAccess(organization, creator);
      if (endpoint.parameters.tenantid && endpoint.parameters.tenantid !== access.session.tenantId) throw new StepFailure(messages.noSubscription());
      await access.arm.readScope(scope);
    } catch (error) {
      if (error instanceof StepFailure) return fail(1, error.message);
      if (isPortError(error, "arm")) return fail(1, messages.noSubscription());
      throw error;
    }
    const tenantId = access.session.tenantId;

    // Step 2: the application, its service principal and its credential, as the user.
    let graph: GraphAs | undefined;
    let appId: string;
    let appObjectId: string;
    let spObjectId: string;
    const secrets: Record<string, string> = {};
    try {
      const as = await access.graph();
      graph = as;
      const target = endpoint.data.subscriptionId ?? endpoint.data.managementGroupId ?? endpoint.id;
      const app = await as.createApplication(`${organization.name}-${project.name}-${target}`);
      appId = app.appId;
      appObjectId = app.id;
      undo.push(() => as.deleteApplication(app.id));
      // What each step made is saved as it is made, so a restart can undo it (see `recover`).
      endpoint = { ...endpoint, data: { ...endpoint.data, appObjectId } };
      await save(endpoint, {});
      spObjectId = (await as.createServicePrincipal(app.appId)).id;
      if (endpoint.scheme === "WorkloadIdentityFederation") {
        await as.addFederatedCredential(federatedCredentialFor(app.id, organization, project, { ...endpoint, parameters: { ...endpoint.parameters, tenantid: tenantId } }));
      } else {
        const password = await as.addPassword({ applicationObjectId: app.id, displayName: `Azure DevOps service connection ${endpoint.name}`, endDateTime: threeMonthsFrom(this.clock.nowMs()) });
        secrets.serviceprincipalkey = password.secretText!;
        secrets._passwordKeyId = password.keyId;
      }
    } catch (error) {
      if (isPortError(error, "entra")) return fail(2, messages.sessionExpired(error.message));
      if (isPortError(error, "graph")) {
        const me = await this.entra.user(tenantId, access.session.userId);
        // The message names the check that failed: a guest's limited access, or the registration setting.
        const settings = me?.userType === "Guest" ? await graph?.directorySettings().catch(() => undefined) : undefined;
        const limitedGuest = me?.userType === "Guest" && settings?.guestUserRoleId !== GUESTS_AS_MEMBERS_ROLE_ID;
        return fail(2, limitedGuest ? messages.guest(error.message) : messages.appRegistration());
      }
      throw error;
    }

    // Step 3: Contributor on the scope, as the user.
    let assignmentName: string;
    try {
      const assignment = await access.arm.assignRole({ scope, roleDefinitionId: CONTRIBUTOR_ROLE_DEFINITION_ID, principalId: spObjectId, principalType: "ServicePrincipal" });
      assignmentName = assignment.name;
      endpoint = { ...endpoint, data: { ...endpoint.data, spnObjectId: spObjectId, azureSpnRoleAssignmentId: assignmentName } };
      await save(endpoint, secrets);
    } catch (error) {
      if (isPortError(error, "arm")) return fail(3, messages.contributor(error.code, error.message));
      throw error;
    }

    // Step 4: the connection, with the application's details.
    endpoint = {
      ...endpoint,
      parameters: { ...endpoint.parameters, tenantid: tenantId, serviceprincipalid: appId, ...(endpoint.scheme === "ServicePrincipal" ? { authenticationType: "spnKey" } : {}) },
      data: {
        ...endpoint.data,
        appObjectId,
        spnObjectId: spObjectId,
        azureSpnRoleAssignmentId: assignmentName,
        azureSpnPermissions: JSON.stringify([{ roleAssignmentId: assignmentName, resourceProvider: "Microsoft.RoleAssignment", provisioned: true }]),
      },
      isReady: true,
      operationStatus: { state: "Ready", statusMessage: "" },
      modificationDate: this.clock.now().toISOString(),
    };
    await save(endpoint, secrets);
  }
}
