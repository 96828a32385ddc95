import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/crypto.js";
import type { Store } from "../store/index.js";
import { AccessTokens } from "./token/access-tokens.js";
import { ClientAuthenticator, type FederationIssuers } from "./token/client-auth.js";
import { Directory } from "./directory/directory.js";
import { GraphService } from "./graph/graph-service.js";
import { ManagedIdentityService } from "./imds/managed-identity.js";
import { ResourceResolver, type ResourcePlane } from "./token/token-audiences.js";
import { UserSignIn } from "./sign-in/sign-in.js";
import { SigningKeys } from "../core/signing-keys.js";
import { TokenService } from "./token/token-service.js";

export interface EntraOptions {
  store: Store;
  clock: Clock;
  /** Which plane a URL of this svcconn instance serves (its listener ports), if any. */
  localPlane: (url: URL) => ResourcePlane | undefined;
  /** Extra issuers trusted for federated assertions (the DevOps plane registers itself here). */
  federationIssuers?: FederationIssuers[];
  /** Seconds a refresh token may go unused. */
  sessionInactivitySeconds?: number;
  /** Seconds before a directory-settings change applies. */
  directoryPropagationSeconds?: number;
  /**
   * Origins where the Azure DevOps web client lives (this instance's DevOps listener): its `/_signedin` page is a
   * single-page-app redirect URI of that first-party client, so the web UI can sign people in with PKCE.
   */
  azureDevOpsWebOrigins?: () => string[];
  /** Seals the tenants' private signing keys in the store. */
  keyBox?: SecretBox;
}

const ENTRA_ISSUER = /^https:\/\/(?:login\.microsoftonline\.com|login\.windows\.net|login\.microsoft\.com|sts\.windows\.net)\//i;

/** The identity plane: its directory and its token services, wired together. */
export class EntraService {
  readonly keys: SigningKeys;
  readonly accessTokens: AccessTokens;
  readonly resources: ResourceResolver;
  readonly directory: Directory;
  readonly tokens: TokenService;
  readonly managedIdentities: ManagedIdentityService;
  readonly signIn: UserSignIn;
  readonly graph: GraphService;

  constructor(options: EntraOptions) {
    const { store, clock } = options;
    this.keys = new SigningKeys(store.keys, clock, "", options.keyBox);
    this.accessTokens = new AccessTokens(this.keys, clock);
    this.resources = new ResourceResolver(store, options.localPlane);
    this.directory = new Directory(store, clock);
    const clients = new ClientAuthenticator(store, clock, [
      ClientAuthenticator.entraIssuers(this.keys, (issuer) => ENTRA_ISSUER.test(issuer)),
      ...(options.federationIssuers ?? []),
      ClientAuthenticator.declaredIssuers(store),
    ]);
    this.signIn = new UserSignIn(store, clock, this.resources, this.accessTokens, this.keys, clients, () => options.sessionInactivitySeconds ?? 90 * 86_400, () =>
      (options.azureDevOpsWebOrigins?.() ?? []).map((origin) => `${origin.replace(/\/$/, "")}/_signedin`),
    );
    this.tokens = new TokenService(store, this.resources, clients, this.accessTokens, this.signIn, clock);
    this.graph = new GraphService(store, clock, this.directory, this.accessTokens, this.signIn, () => options.directoryPropagationSeconds ?? 900);
    this.managedIdentities = new ManagedIdentityService(store, this.resources, this.accessTokens);
  }
}
