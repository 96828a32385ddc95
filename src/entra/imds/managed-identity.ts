import { PlaneError } from "../../core/errors.js";
import type { Store } from "../../store/index.js";
import type { AccessTokens, IssuedAccessToken } from "../token/access-tokens.js";
import { AadstsError } from "../errors.js";
import type { ServicePrincipal } from "../model.js";
import type { ResourceResolver } from "../token/token-audiences.js";

/** An IMDS failure: `{"error","error_description"}` with the status the metadata service answers. */
export class ImdsError extends PlaneError {
  readonly plane = "imds" as const;
  constructor(
    status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(status, error, description);
  }
}

export const imdsErrors = {
  metadataHeaderMissing: () => new ImdsError(400, "bad_request_102", "Required metadata header not specified"),
  apiVersionMissing: () => new ImdsError(400, "invalid_request", "Required query variable 'api-version' is missing"),
  resourceMissing: () => new ImdsError(400, "invalid_request", "Required audience parameter not specified"),
  identityNotFound: () => new ImdsError(400, "invalid_request", "Identity not found"),
  ambiguousIdentity: () =>
    new ImdsError(400, "invalid_request", "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"),
  invalidResource: (text: string) => new ImdsError(400, "invalid_resource", text),
};

export interface ManagedIdentityRequest {
  /** The VM the caller runs on; undefined for a caller bound to no VM (like a Microsoft-hosted agent). */
  vmName?: string;
  metadataHeader: boolean;
  apiVersion?: string;
  resource?: string;
  clientId?: string;
  objectId?: string;
  msiResId?: string;
  issuerBase: string;
}

export interface ManagedIdentityToken extends IssuedAccessToken {
  clientId: string;
}

/** Managed-identity tokens last about a day, as on Azure. */
const MANAGED_IDENTITY_LIFETIME = 86_399;

/**
 * The instance-metadata token endpoint. Which identities a caller may use is decided by the VM it is bound to:
 * the VM's system-assigned identity and the user-assigned identities attached to it.
 */
export class ManagedIdentityService {
  constructor(
    private readonly store: Store,
    private readonly resources: ResourceResolver,
    private readonly tokens: AccessTokens,
  ) {}

  async token(request: ManagedIdentityRequest): Promise<ManagedIdentityToken> {
    if (!request.metadataHeader) throw imdsErrors.metadataHeaderMissing();
    if (!request.apiVersion) throw imdsErrors.apiVersionMissing();
    if (!request.resource) throw imdsErrors.resourceMissing();
    const identity = await this.select(request);
    const tenant = await this.store.tenants.get(identity.tenantId);
    if (!tenant) throw imdsErrors.identityNotFound();
    const resourceId = request.resource.endsWith("/.default") ? request.resource.slice(0, -"/.default".length) : request.resource;
    let resource;
    try {
      resource = await this.resources.resolve(resourceId, tenant);
    } catch (error) {
      if (error instanceof AadstsError) throw imdsErrors.invalidResource(error.message);
      throw error;
    }
    const issued = await this.tokens.issue({
      subject: {
        kind: "app",
        tenantId: identity.tenantId,
        appId: identity.appId,
        servicePrincipalId: identity.id,
        acr: "2",
        managedIdentityResourceId: identity.alternativeNames.find((n) => n.startsWith("/")) ?? undefined,
      },
      resource,
      lifetimeSeconds: MANAGED_IDENTITY_LIFETIME,
      issuerBase: request.issuerBase,
    });
    return { ...issued, clientId: identity.appId };
  }

  private async select(request: ManagedIdentityRequest): Promise<ServicePrincipal> {
    const vm = request.vmName ? await this.store.servicePrincipals.getVirtualMachine(request.vmName) : undefined;
    if (!vm) throw imdsErrors.identityNotFound();
    const system = vm.systemAssignedPrincipalId ? await this.store.servicePrincipals.getById(vm.systemAssignedPrincipalId) : undefined;
    const userAssigned: ServicePrincipal[] = [];
    for (const resourceId of vm.userAssignedResourceIds) {
      const sp = await this.store.servicePrincipals.getByManagedIdentityResourceId(resourceId);
      if (sp) userAssigned.push(sp);
    }
    const all = [...(system ? [system] : []), ...userAssigned];
    const wanted = (request.clientId ?? request.objectId ?? request.msiResId)?.toLowerCase();
    if (wanted) {
      const found = all.find(
        (sp) =>
          (request.clientId && sp.appId === wanted) ||
          (request.objectId && sp.id === wanted) ||
          (request.msiResId && sp.managedIdentityResourceId === wanted),
      );
      if (!found) throw imdsErrors.identityNotFound();
      return found;
    }
    if (system) return system;
    if (userAssigned.length === 1) return userAssigned[0]!;
    if (userAssigned.length > 1) throw imdsErrors.ambiguousIdentity();
    throw imdsErrors.identityNotFound();
  }
}
