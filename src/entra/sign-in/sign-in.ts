import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../core/clock.js";
import { verifyPassword } from "../../core/crypto.js";
import { newGuid } from "../../core/ids.js";
import type { Store } from "../../store/index.js";
import { signJwt } from "../../core/jwt.js";
import { accessTokenLifetime, v2Issuer, type AccessTokens, type IssuedAccessToken } from "../token/access-tokens.js";
import type { ClientAuthenticator } from "../token/client-auth.js";
import { aadsts } from "../errors.js";
import { DEFAULT_DELEGATED_SCOPES, DEFAULT_SCOPE, FIRST_PARTY_PUBLIC_CLIENTS } from "../directory/first-party.js";
import type { Application, Tenant, User, UserSession } from "../model.js";
import { AZURE_DEVOPS_APP_ID, GRAPH_APP_ID, OIDC_SCOPES, type Resource, type ResourceResolver } from "../token/token-audiences.js";
import type { SigningKeys } from "../../core/signing-keys.js";

export interface UserTokens extends IssuedAccessToken {
  scope: string;
  refreshToken?: string;
  idToken?: string;
  clientInfo?: string;
  sessionId: string;
}

/** A client of a user flow: first-party public clients, or an application with a service principal here. */
interface UserFlowClient {
  appId: string;
  name: string;
  public: boolean;
  redirectUris: string[];
  /** Redirect URIs of the single-page-app platform: only these may redeem codes from a browser (CORS). */
  spaRedirectUris: string[];
  firstParty: boolean;
}

const CODE_LIFETIME_MS = 10 * 60_000;
const hash = (value: string) => createHash("sha256").update(value).digest("base64url");
const isLoopback = (uri: string) => /^http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d+)?(?:\/.*)?$/i.test(uri);

/**
 * User sign-in: the resource-owner password grant for scripts, the authorization-code flow with PKCE, refresh
 * tokens that expire after inactivity and are revoked by sign-out or a password change, and the sessions behind
 * them — which the DevOps plane uses to act for a user with that user's own, current session.
 */
export class UserSignIn {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly resources: ResourceResolver,
    private readonly tokens: AccessTokens,
    private readonly keys: SigningKeys,
    private readonly clients: ClientAuthenticator,
    private readonly inactivitySeconds: () => number,
    private readonly azureDevOpsWebRedirects: () => string[] = () => [],
  ) {}

  // ---- identities --------------------------------------------------------------------------------------------

  /** The directory object a person signs in as in `tenant`: the member account, or the guest invited from home. */
  async userFor(tenant: Tenant, username: string): Promise<{ user: User; home: User }> {
    const upn = username.trim().toLowerCase();
    const direct = await this.store.users.getByUpn(tenant.id, upn);
    if (direct && direct.userType === "Member") return { user: direct, home: direct };
    // A guest signs in with its home account's name and password.
    for (const candidate of await this.store.users.list(tenant.id)) {
      if (candidate.userType !== "Guest" || !candidate.homeTenantId || !candidate.homeUserId) continue;
      const home = await this.store.users.get(candidate.homeTenantId, candidate.homeUserId);
      if (home?.userPrincipalName === upn || candidate.userPrincipalName === upn) {
        if (home) return { user: candidate, home };
      }
    }
    throw aadsts.userNotInDirectory(username, tenant.displayName);
  }

  async verifyPassword(tenant: Tenant, username: string, password: string): Promise<{ user: User; home: User }> {
    const found = await this.userFor(tenant, username);
    if (!found.home.passwordHash || !(await verifyPassword(password, found.home.passwordHash))) throw aadsts.invalidCredentials();
    if (!found.user.accountEnabled || !found.home.accountEnabled) throw aadsts.userDisabled();
    return found;
  }

  async client(tenant: Tenant, clientId: string): Promise<UserFlowClient> {
    const id = clientId.trim().toLowerCase();
    const firstParty = this.firstPartyClient(id);
    if (firstParty) return firstParty;
    const app = await this.store.applications.getByAppId(id);
    const sp = app && (await this.store.servicePrincipals.getByAppId(tenant.id, app.appId));
    if (!app || !sp) throw aadsts.applicationNotFound(clientId, tenant.displayName);
    if (!sp.accountEnabled) throw aadsts.applicationDisabled(app.appId, app.displayName);
    return this.registeredClient(app);
  }

  /**
   * The client as its registration describes it, before the person's directory is known (`/common`,
   * `/organizations`): what its redirect URIs are is decided by the application itself.
   */
  async clientBeforeSignIn(clientId: string, directory: string): Promise<UserFlowClient> {
    const id = clientId.trim().toLowerCase();
    const firstParty = this.firstPartyClient(id);
    if (firstParty) return firstParty;
    const app = await this.store.applications.getByAppId(id);
    if (!app) throw aadsts.applicationNotFound(clientId, directory);
    return this.registeredClient(app);
  }

  private firstPartyClient(id: string): UserFlowClient | undefined {
    const name = FIRST_PARTY_PUBLIC_CLIENTS[id];
    if (!name) return undefined;
    const spa = id === AZURE_DEVOPS_APP_ID ? this.azureDevOpsWebRedirects() : [];
    return { appId: id, name, public: true, redirectUris: ["https://login.microsoftonline.com/common/oauth2/nativeclient", ...spa], spaRedirectUris: spa, firstParty: true };
  }

  private registeredClient(app: Application): UserFlowClient {
    return {
      appId: app.appId,
      name: app.displayName,
      public: app.isFallbackPublicClient,
      redirectUris: [...app.redirectUris.web, ...app.redirectUris.spa, ...app.redirectUris.publicClient],
      spaRedirectUris: app.redirectUris.spa,
      firstParty: false,
    };
  }

  checkRedirectUri(client: UserFlowClient, redirectUri: string): void {
    if (client.redirectUris.includes(redirectUri)) return;
    if (client.firstParty && isLoopback(redirectUri)) return;
    // Loopback redirect URIs match on any port, as Entra allows for native clients.
    const portless = (uri: string) => uri.replace(/^(http:\/\/(?:localhost|127\.0\.0\.1))(?::\d+)/i, "$1");
    if (isLoopback(redirectUri) && client.redirectUris.some((u) => isLoopback(u) && portless(u) === portless(redirectUri))) return;
    throw aadsts.redirectUriMismatch(redirectUri, client.appId);
  }

  // ---- grants ------------------------------------------------------------------------------------------------

  /** grant_type=password (ROPC): for scripts and `svcconn login`. */
  async passwordGrant(input: { tenant: Tenant; clientId: string; clientSecret?: string; username: string; password: string; scope: string; issuerBase: string }): Promise<UserTokens> {
    const client = await this.client(input.tenant, input.clientId);
    await this.authenticateConfidential(input.tenant, client, input.clientSecret);
    const { user, home } = await this.verifyPassword(input.tenant, input.username, input.password);
    return this.startSession(input.tenant, user, home, client.appId, input.scope, input.issuerBase);
  }

  /** The authorize endpoint's success: a one-time code bound to the client, redirect URI and PKCE challenge. */
  async issueCode(input: {
    tenant: Tenant;
    user: User;
    clientId: string;
    redirectUri: string;
    scope: string;
    codeChallenge?: string;
    codeChallengeMethod?: string;
    nonce?: string;
  }): Promise<string> {
    const code = `0.${randomBytes(48).toString("base64url")}`;
    await this.store.sessions.insertCode({
      codeHash: hash(code),
      tenantId: input.tenant.id,
      userId: input.user.id,
      clientId: input.clientId.toLowerCase(),
      redirectUri: input.redirectUri,
      scope: input.scope,
      codeChallenge: input.codeChallenge ?? null,
      codeChallengeMethod: input.codeChallengeMethod ?? null,
      nonce: input.nonce ?? null,
      expiresAt: new Date(this.clock.nowMs() + CODE_LIFETIME_MS).toISOString(),
      redeemedAt: null,
    });
    return code;
  }

  /** grant_type=authorization_code, with PKCE. */
  async codeGrant(input: { tenant: Tenant; clientId: string; clientSecret?: string; clientAssertion?: string; clientAssertionType?: string; code: string; redirectUri?: string; codeVerifier?: string; scope?: string; issuerBase: string; tokenEndpoint: string; origin?: string }): Promise<UserTokens> {
    const record = await this.store.sessions.code(hash(input.code));
    if (!record || record.tenantId !== input.tenant.id) throw aadsts.malformedGrant("authorization code");
    if (record.clientId !== input.clientId.toLowerCase()) throw aadsts.malformedGrant("authorization code");
    if (record.redeemedAt) throw aadsts.codeRedeemed();
    if (Date.parse(record.expiresAt) <= this.clock.nowMs()) throw aadsts.codeExpired();
    if (input.redirectUri !== undefined && input.redirectUri !== record.redirectUri) throw aadsts.redirectUriMismatch(input.redirectUri, input.clientId);
    if (record.codeChallenge) {
      if (!input.codeVerifier) throw aadsts.codeVerifierMismatch();
      const computed = record.codeChallengeMethod === "S256" ? createHash("sha256").update(input.codeVerifier).digest("base64url") : input.codeVerifier;
      const a = Buffer.from(computed);
      const b = Buffer.from(record.codeChallenge);
      if (a.length !== b.length || !timingSafeEqual(a, b)) throw aadsts.codeVerifierMismatch();
    }
    const client = await this.client(input.tenant, input.clientId);
    if (input.origin !== undefined && !this.isSpaOrigin(client, input.origin, record.redirectUri)) throw aadsts.crossOriginRedemption(input.origin);
    // A browser redeeming a code must have used PKCE for it, as Entra requires of single-page apps.
    if (input.origin !== undefined && !record.codeChallenge) throw aadsts.pkceRequiredCrossOrigin();
    if (!client.public && (input.clientSecret || input.clientAssertion)) {
      await this.clients.authenticate({
        tenant: input.tenant,
        clientId: client.appId,
        clientSecret: input.clientSecret,
        clientAssertion: input.clientAssertion,
        clientAssertionType: input.clientAssertionType,
        tokenEndpoint: input.tokenEndpoint,
        isOwnTokenEndpoint: async () => true,
      });
    } else if (!client.public && !client.firstParty && client.redirectUris.length && !input.codeVerifier) {
      throw aadsts.notPublicClient();
    }
    await this.store.sessions.redeemCode(record.codeHash, this.clock.now().toISOString());
    const user = await this.store.users.get(input.tenant.id, record.userId);
    if (!user) throw aadsts.malformedGrant("authorization code");
    const home = user.homeTenantId && user.homeUserId ? ((await this.store.users.get(user.homeTenantId, user.homeUserId)) ?? user) : user;
    return this.startSession(input.tenant, user, home, client.appId, input.scope ?? record.scope, input.issuerBase, record.nonce ?? undefined);
  }

  /** grant_type=refresh_token: checks revocation and inactivity on the clock, rotates the refresh token. */
  async refreshGrant(input: { tenant: Tenant; clientId: string; refreshToken: string; scope?: string; issuerBase: string; origin?: string }): Promise<UserTokens> {
    const session = await this.store.sessions.byRefreshHash(hash(input.refreshToken));
    if (!session || session.tenantId !== input.tenant.id || session.clientId !== input.clientId.toLowerCase()) throw aadsts.malformedGrant("refresh token");
    if (input.origin !== undefined && !this.isSpaOrigin(await this.client(input.tenant, input.clientId), input.origin)) throw aadsts.crossOriginRedemption(input.origin);
    return this.redeem(session, input.tenant, input.scope ?? session.scope, input.issuerBase, true);
  }

  /** A browser may redeem only for a single-page-app redirect URI of the client, from that URI's own origin. */
  private isSpaOrigin(client: UserFlowClient, origin: string, redirectUri?: string): boolean {
    const originOf = (uri: string) => {
      try {
        return new URL(uri).origin;
      } catch {
        return undefined;
      }
    };
    const candidates = redirectUri === undefined ? client.spaRedirectUris : client.spaRedirectUris.filter((u) => u === redirectUri);
    return candidates.some((u) => originOf(u) === origin);
  }

  // ---- sessions ----------------------------------------------------------------------------------------------

  accountKey(home: User): string {
    return `${home.tenantId}/${home.id}`;
  }

  /** Signs a person out everywhere: every refresh token of every tenant stops working. */
  async signOut(home: User): Promise<number> {
    return this.store.sessions.revokeAccount(this.accountKey(home), this.clock.now().toISOString());
  }

  async session(id: string): Promise<UserSession | undefined> {
    return this.store.sessions.get(id);
  }

  /** The most recent session of the person behind a user of a tenant (a guest's is their home account's). */
  async currentSessionOf(tenantId: string, userObjectId: string): Promise<UserSession | undefined> {
    const user = await this.store.users.get(tenantId, userObjectId);
    if (!user) return undefined;
    const home = user.homeTenantId && user.homeUserId ? ((await this.store.users.get(user.homeTenantId, user.homeUserId)) ?? user) : user;
    return this.currentSession(home);
  }

  /** The person's most recent session, in whichever tenant it was opened. */
  async currentSession(home: User): Promise<UserSession | undefined> {
    return (await this.store.sessions.forAccount(this.accountKey(home)))[0];
  }

  /**
   * An access token from an existing session, as a service acting for the user would get one: the same
   * revocation and inactivity checks as a refresh, and the session counts as used.
   */
  async tokenFromSession(session: UserSession, resourceId: string, issuerBase: string): Promise<UserTokens> {
    const tenant = await this.store.tenants.get(session.tenantId);
    if (!tenant) throw aadsts.tenantNotFound(session.tenantId);
    return this.redeem(session, tenant, `${resourceId}/.default`, issuerBase, false);
  }

  /** Opens a session directly (world files: users who are "signed in" when svcconn starts). */
  async openSession(tenant: Tenant, user: User, home: User, clientId: string, scope: string, refreshToken = this.newRefreshToken()): Promise<UserSession> {
    const now = this.clock.now().toISOString();
    const session: UserSession = {
      id: newGuid(),
      accountKey: this.accountKey(home),
      tenantId: tenant.id,
      userId: user.id,
      clientId,
      refreshHash: hash(refreshToken),
      scope,
      createdAt: now,
      lastUsedAt: now,
      revokedAt: null,
    };
    await this.store.sessions.insert(session);
    return session;
  }

  private async redeem(session: UserSession, tenant: Tenant, scope: string, issuerBase: string, rotate: boolean): Promise<UserTokens> {
    const user = await this.store.users.get(session.tenantId, session.userId);
    if (!user) throw aadsts.malformedGrant("refresh token");
    const home = user.homeTenantId && user.homeUserId ? ((await this.store.users.get(user.homeTenantId, user.homeUserId)) ?? user) : user;
    const validFrom = [home.tokensValidFrom, user.tokensValidFrom].sort().pop()!;
    if (session.revokedAt || validFrom > session.createdAt) {
      throw aadsts.grantRevoked(session.createdAt, session.revokedAt && session.revokedAt > validFrom ? session.revokedAt : validFrom);
    }
    const idle = (this.clock.nowMs() - Date.parse(session.lastUsedAt)) / 1000;
    if (idle > this.inactivitySeconds()) throw aadsts.refreshTokenInactive(session.createdAt, idle);
    if (!user.accountEnabled || !home.accountEnabled) throw aadsts.userDisabled();
    const refreshToken = rotate ? this.newRefreshToken() : undefined;
    await this.store.sessions.touch(session, refreshToken ? hash(refreshToken) : session.refreshHash, this.clock.now().toISOString());
    return this.tokensFor(tenant, user, home, session.clientId, scope, issuerBase, session.id, refreshToken);
  }

  private async startSession(tenant: Tenant, user: User, home: User, clientId: string, scope: string, issuerBase: string, nonce?: string): Promise<UserTokens> {
    const refreshToken = this.newRefreshToken();
    const session = await this.openSession(tenant, user, home, clientId, scope, refreshToken);
    // Like Entra's v2 endpoint, the refresh token is returned only to clients that ask for offline_access.
    const wantsRefresh = scope.split(/\s+/).some((s) => s.toLowerCase() === "offline_access");
    return this.tokensFor(tenant, user, home, clientId, scope, issuerBase, session.id, wantsRefresh ? refreshToken : undefined, nonce);
  }

  private newRefreshToken(): string {
    return `1.${randomBytes(48).toString("base64url")}`;
  }

  /** Access token (and id token) for the resource the delegated scope names. */
  private async tokensFor(tenant: Tenant, user: User, home: User, clientId: string, scope: string, issuerBase: string, sessionId: string, refreshToken?: string, nonce?: string): Promise<UserTokens> {
    const { resource, scp } = await this.delegatedResource(tenant, scope);
    const wids = (await this.store.users.roleAssignments(tenant.id, { principalId: user.id, inForceAt: this.clock.now().toISOString() })).map((a) => a.roleTemplateId);
    const issued = await this.tokens.issue({
      subject: {
        kind: "user",
        tenantId: tenant.id,
        userId: user.id,
        userPrincipalName: home.userPrincipalName,
        name: user.displayName,
        clientAppId: clientId,
        acr: "0",
        scp,
        wids,
        homeTenantId: home.tenantId,
        sessionId,
      },
      resource,
      lifetimeSeconds: accessTokenLifetime(),
      issuerBase,
    });
    const requested = scope.split(/\s+/).filter(Boolean);
    const idToken = requested.some((s) => s.toLowerCase() === "openid") || nonce ? await this.idToken(tenant, user, home, clientId, issuerBase, sessionId, nonce) : undefined;
    // The granted scopes in the form the client asked: bare Graph names as requested, `{resource}/{name}` for a
    // `.default` request, plus the OpenID scopes when it asked for openid (as Entra answers).
    const resourcePrefix = requested.find((s) => s.endsWith("/.default"))?.slice(0, -".default".length);
    const granted = resourcePrefix
      ? scp.split(" ").map((name) => (resource.appId === GRAPH_APP_ID ? name : `${resourcePrefix}${name}`))
      : requested.filter((s) => !OIDC_SCOPES.has(s.toLowerCase()));
    const oidc = requested.some((s) => s.toLowerCase() === "openid") ? ["profile", "openid", "email"] : [];
    return {
      ...issued,
      scope: [...granted, ...oidc].join(" ") || scp,
      refreshToken,
      idToken,
      clientInfo: Buffer.from(JSON.stringify({ uid: home.id, utid: home.tenantId })).toString("base64url"),
      sessionId,
    };
  }

  private async idToken(tenant: Tenant, user: User, home: User, clientId: string, issuerBase: string, sessionId: string, nonce?: string): Promise<string> {
    const key = await this.keys.activeKey(tenant.id);
    const now = this.clock.nowSeconds();
    return signJwt(
      { alg: "RS256", typ: "JWT", kid: key.kid },
      {
        aud: clientId,
        iss: v2Issuer(issuerBase, tenant.id),
        iat: now,
        nbf: now,
        exp: now + 3600,
        name: user.displayName,
        oid: user.id,
        preferred_username: home.userPrincipalName,
        sub: user.id,
        tid: tenant.id,
        sid: sessionId,
        ver: "2.0",
        ...(nonce ? { nonce } : {}),
      },
      key.privateKey,
    );
  }

  /** `{resource}/.default`, `{resource}/{scope}`, or bare Graph scopes such as `User.Read`. */
  private async delegatedResource(tenant: Tenant, scope: string): Promise<{ resource: Resource; scp: string }> {
    const requested = scope.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()));
    if (requested.length === 0) return { resource: await this.resources.resolve(GRAPH_APP_ID, tenant), scp: "User.Read" };
    const resources = new Set<string>();
    const names: string[] = [];
    for (const s of requested) {
      const slash = s.lastIndexOf("/");
      const resourceId = slash > 0 ? s.slice(0, slash) : GRAPH_APP_ID;
      const name = slash > 0 ? s.slice(slash + 1) : s;
      resources.add(resourceId.replace(/\/+$/, "/"));
      if (name) names.push(name);
    }
    if (resources.size > 1) throw aadsts.multipleResources(scope);
    const resource = await this.resources.resolve([...resources][0]!, tenant);
    const scp = names.includes(".default") || names.length === 0 ? (DEFAULT_DELEGATED_SCOPES[resource.appId] ?? DEFAULT_SCOPE) : names.join(" ");
    return { resource, scp };
  }

  private async authenticateConfidential(tenant: Tenant, client: UserFlowClient, secret: string | undefined): Promise<void> {
    if (client.public) return;
    if (!secret) throw aadsts.notPublicClient();
    await this.clients.authenticate({ tenant, clientId: client.appId, clientSecret: secret, tokenEndpoint: "", isOwnTokenEndpoint: async () => false });
  }
}
