import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import { endpointScope, messages, StepFailure, type AutomaticCreation, type UserAccess } from "./create-workflow.js";
import type { StoredEndpoint } from "./endpoints.js";
import type { FederationIssuer } from "./federation.js";
import type { DevOpsCaller } from "./identities.js";
import type { Organization, Project } from "./model.js";
import { ARM_RESOURCE, isPortError, type ArmApi, type EntraApi, type SubscriptionInfo } from "./ports.js";

export interface ProxyResult {
  result: unknown;
  statusCode: string;
  errorMessage: string;
  callbackContextParameters?: Record<string, string> | null;
  callbackRequired?: boolean;
}

type PickerResult = { value: unknown[]; errorMessage: string | null };

const STATUS_NAMES: Record<number, string> = { 400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "notFound", 409: "conflict", 500: "internalServerError" };
const PICKER_LIMIT = 50;

/**
 * What a connection can do with its own credentials: Verify (TestConnection), the subscriptions its identity
 * sees (AzureSubscriptions), and the subscription picker of the creation dialog, which works with the user's token
 * and serves a list cached with that token (S8).
 */
export class EndpointProxy {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly entra: EntraApi,
    private readonly arm: ArmApi,
    private readonly federation: FederationIssuer,
    private readonly creation: AutomaticCreation,
  ) {}

  /** An ARM token with the connection's own credentials (secret, certificate, or a federated assertion). */
  async connectionToken(org: Organization, project: Project | undefined, stored: StoredEndpoint, tenantId?: string): Promise<string> {
    const { endpoint, secrets } = stored;
    const tenant = tenantId ?? endpoint.parameters.tenantid ?? org.tenantId;
    const clientId = endpoint.parameters.serviceprincipalid ?? "";
    if (endpoint.scheme === "WorkloadIdentityFederation") {
      const assertion = await this.federation.token(org, project, endpoint, this.entra);
      return this.entra.clientToken({ tenantId: tenant, clientId, credential: { kind: "assertion", assertion }, resource: ARM_RESOURCE });
    }
    if (endpoint.parameters.authenticationType === "spnCertificate") {
      return this.entra.clientToken({ tenantId: tenant, clientId, credential: { kind: "certificate", pem: secrets.servicePrincipalCertificate ?? "" }, resource: ARM_RESOURCE });
    }
    return this.entra.clientToken({ tenantId: tenant, clientId, credential: { kind: "secret", secret: secrets.serviceprincipalkey ?? "" }, resource: ARM_RESOURCE });
  }

  /** Verify: acquire a token with the connection's credentials, then read its scope. */
  async testConnection(org: Organization, project: Project | undefined, stored: StoredEndpoint): Promise<ProxyResult> {
    const { endpoint } = stored;
    if (endpoint.type !== "azurerm") return { result: null, statusCode: "badRequest", errorMessage: `Verification is not available for service connections of type '${endpoint.type}'.` };
    if (endpoint.scheme === "ManagedServiceIdentity") {
      return { result: null, statusCode: "badRequest", errorMessage: "Verification is not supported for the managed identity authentication scheme: the identity is only available on the agent's virtual machine." };
    }
    if (!endpoint.parameters.serviceprincipalid) return { result: null, statusCode: "badRequest", errorMessage: `The service connection '${endpoint.name}' has no service principal yet (isReady: ${endpoint.isReady}).` };
    let token: string;
    try {
      token = await this.connectionToken(org, project, stored);
    } catch (error) {
      if (!isPortError(error, "entra")) throw error;
      return {
        result: null,
        statusCode: error.status === 401 ? "unauthorized" : "badRequest",
        errorMessage: `Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception message: ${error.message}`,
      };
    }
    const scope = endpointScope(endpoint);
    const url = `${endpoint.url}${scope.replace(/^\//, "")}?api-version=${endpoint.data.scopeLevel === "ManagementGroup" ? "2018-01-01-preview" : "2016-06-01"}`;
    try {
      const arm = await this.arm.as(token);
      await arm.readScope(scope);
      if (endpoint.data.scopeLevel === "Subscription" || endpoint.data.scopeLevel === undefined) {
        const sub = await arm.subscription(endpoint.data.subscriptionId!);
        return { result: [JSON.stringify({ id: `/subscriptions/${sub.id}`, subscriptionId: sub.id, displayName: sub.displayName, state: sub.state, tenantId: sub.tenantId })], statusCode: "ok", errorMessage: "" };
      }
      return { result: [], statusCode: "ok", errorMessage: "" };
    } catch (error) {
      if (!isPortError(error, "arm")) throw error;
      return { result: null, statusCode: STATUS_NAMES[error.status] ?? "badRequest", errorMessage: `Failed to query service endpoint api: ${url}. Error Message: ${error.code}: ${error.message}` };
    }
  }

  /**
   * AzureSubscriptions: the subscriptions the connection's identity sees, in its own tenant and in every other
   * tenant where it gets a token. A single-tenant application gets none elsewhere (AADSTS700016), so a subscription
   * in another tenant appears only once the app accepts any organizational directory (S8).
   */
  async connectionSubscriptions(org: Organization, project: Project | undefined, stored: StoredEndpoint): Promise<ProxyResult> {
    const home = stored.endpoint.parameters.tenantid ?? org.tenantId;
    let subscriptions: SubscriptionInfo[];
    try {
      subscriptions = await (await this.arm.as(await this.connectionToken(org, project, stored, home))).subscriptions();
    } catch (error) {
      if (!isPortError(error, "entra", "arm")) throw error;
      return { result: null, statusCode: STATUS_NAMES[error.status] ?? "badRequest", errorMessage: error.message };
    }
    // A federated token names the connection's own tenant, so only credentials reach further.
    if (stored.endpoint.scheme !== "WorkloadIdentityFederation") {
      for (const tenant of await this.entra.tenants()) {
        if (tenant.id === home) continue;
        try {
          subscriptions.push(...(await (await this.arm.as(await this.connectionToken(org, project, stored, tenant.id))).subscriptions()));
        } catch (error) {
          // No token in that tenant (single-tenant app, no service principal there): its subscriptions stay out.
          if (!isPortError(error, "entra", "arm")) throw error;
        }
      }
    }
    return { result: subscriptions.map((s) => JSON.stringify({ Value: s.id, DisplayValue: s.displayName, TenantId: s.tenantId })), statusCode: "ok", errorMessage: "" };
  }

  /**
   * The creation dialog's subscription picker: at most 50 subscriptions, from a list cached with the user's
   * session — a subscription granted later is missing until the user signs in again (a new session).
   */
  async pickerSubscriptions(caller: DevOpsCaller): Promise<PickerResult> {
    return this.asUser(caller, async (access) => {
      let cached = await this.store.devops.subscriptionCache(access.session.id);
      if (!cached) {
        const tenant = await this.entra.tenant(access.session.tenantId);
        cached = (await access.arm.subscriptions()).map((s) => ({
          subscriptionId: s.id,
          subscriptionName: s.displayName,
          displayName: s.displayName,
          subscriptionTenantId: s.tenantId,
          subscriptionTenantName: tenant?.displayName ?? s.tenantId,
          subscriptionObjectId: null,
        }));
        await this.store.devops.putSubscriptionCache(access.session.id, cached, this.clock.now().toISOString());
      }
      if (cached.length === 0) return { value: [], errorMessage: messages.noSubscription() };
      return { value: cached.slice(0, PICKER_LIMIT), errorMessage: null };
    });
  }

  async pickerManagementGroups(caller: DevOpsCaller): Promise<PickerResult> {
    return this.asUser(caller, async (access) => {
      const groups = await access.arm.managementGroups();
      return { value: groups.map((g) => ({ id: g.name, name: g.name, displayName: g.displayName, tenantId: g.tenantId })), errorMessage: null };
    });
  }

  /** Runs a picker with the user's current session; a session problem is the picker's error message (S5). */
  private async asUser(caller: DevOpsCaller, work: (access: UserAccess) => Promise<PickerResult>): Promise<PickerResult> {
    let access: UserAccess;
    try {
      access = await this.creation.userAccess(caller.organization, caller.identity);
    } catch (error) {
      if (error instanceof StepFailure) return { value: [], errorMessage: error.message };
      throw error;
    }
    return work(access);
  }
}
