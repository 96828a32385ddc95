import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { testRuntime } from "../helpers/runtime.js";
import { postToken } from "../helpers/entra.js";
import { arm } from "../helpers/arm.js";

const AZ_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const ARM_SCOPE = "https://management.core.windows.net//.default offline_access openid profile";

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});
afterAll(async () => runtime.close());

const ropc = (r: Runtime, username: string, password: string = DEMO.userPassword, tenant: string = DEMO.tenantId, scope = ARM_SCOPE) =>
  postToken(r, { grant_type: "password", client_id: AZ_CLI, username, password, scope }, `/${tenant}/oauth2/v2.0/token`);
const refresh = (r: Runtime, token: string, tenant: string = DEMO.tenantId, scope = ARM_SCOPE) =>
  postToken(r, { grant_type: "refresh_token", client_id: AZ_CLI, refresh_token: token, scope }, `/${tenant}/oauth2/v2.0/token`);

describe("password grant (ROPC)", () => {
  it("signs a member in: delegated token, refresh token, id token", async () => {
    const result = await ropc(runtime, DEMO.users.admin.upn);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ token_type: "Bearer", scope: "https://management.core.windows.net//user_impersonation profile openid email", refresh_token: expect.stringMatching(/^1\./), id_token: expect.any(String) });
    expect(result.body.expires_in).toBeGreaterThanOrEqual(3600);
    expect(decodeJwt(result.body.access_token)).toMatchObject({
      aud: "https://management.core.windows.net/",
      tid: DEMO.tenantId,
      oid: DEMO.users.admin.id,
      upn: DEMO.users.admin.upn,
      idtyp: "user",
      scp: "user_impersonation",
      appid: AZ_CLI,
      wids: ["62e90394-69f5-4237-9190-012177145e10"],
    });
    expect(decodeJwt(result.body.id_token)).toMatchObject({ aud: AZ_CLI, oid: DEMO.users.admin.id, preferred_username: DEMO.users.admin.upn, tid: DEMO.tenantId });
  });

  it("answers a wrong password with AADSTS50126 and an unknown user with AADSTS50034", async () => {
    const wrong = await ropc(runtime, DEMO.users.admin.upn, "nope");
    expect(wrong).toMatchObject({ status: 400, body: { error: "invalid_grant", error_codes: [50126] } });
    const unknown = await ropc(runtime, "nobody@contoso.onmicrosoft.com");
    expect(unknown.body.error_codes).toEqual([50034]);
    expect(unknown.body.error_description).toContain("does not exist in the Contoso directory");
  });

  it("signs a guest in to one tenant at a time with its home account", async () => {
    const inContoso = decodeJwt((await ropc(runtime, DEMO.users.alex.upn, DEMO.userPassword, DEMO.tenantId)).body.access_token);
    expect(inContoso).toMatchObject({ tid: DEMO.tenantId, oid: DEMO.users.guest.id, idp: `https://sts.windows.net/${DEMO.otherTenantId}/` });
    const atHome = decodeJwt((await ropc(runtime, DEMO.users.alex.upn, DEMO.userPassword, DEMO.otherTenantId)).body.access_token);
    expect(atHome).toMatchObject({ tid: DEMO.otherTenantId, oid: DEMO.users.alex.id });
  });

  it("a token for one tenant is refused by the other tenant's resources", async () => {
    const fabrikamToken = (await ropc(runtime, DEMO.users.alex.upn, DEMO.userPassword, DEMO.otherTenantId, "https://management.azure.com/.default")).body.access_token;
    const other = await arm(runtime, fabrikamToken, "GET", `/subscriptions/${DEMO.devSubscriptionId}/resourcegroups`);
    expect(other.status).toBe(401);
    expect(other.body.error.code).toBe("InvalidAuthenticationTokenTenant");
    const own = await arm(runtime, fabrikamToken, "GET", `/subscriptions/${DEMO.otherSubscriptionId}/resourcegroups`);
    expect(own.status).toBe(200);
    // The same person signed in to Contoso sees the subscription it is Owner of there as a guest.
    const contosoToken = (await ropc(runtime, DEMO.users.alex.upn, DEMO.userPassword, DEMO.tenantId, "https://management.azure.com/.default")).body.access_token;
    const subs = await arm(runtime, contosoToken, "GET", "/subscriptions?api-version=2022-12-01");
    expect(subs.body.value.map((s: any) => s.subscriptionId)).toEqual([DEMO.devSubscriptionId]);
  });
});

describe("refresh tokens", () => {
  // "The Microsoft identity platform doesn't revoke old refresh tokens when used to fetch new access tokens"
  // (learn.microsoft.com/entra/identity-platform/refresh-tokens): a browser tab that closed before it stored the
  // new one can go on with the old one, as long as the session lives.
  it("redeem for any resource, return a new one each time, and the older ones stay valid with the session", async () => {
    const first = await ropc(runtime, DEMO.users.dev.upn);
    const second = await refresh(runtime, first.body.refresh_token, DEMO.tenantId, "https://graph.microsoft.com/.default offline_access");
    expect(second.status).toBe(200);
    expect(decodeJwt(second.body.access_token).aud).toBe("https://graph.microsoft.com");
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    const replay = await refresh(runtime, first.body.refresh_token);
    expect(replay.status).toBe(200);
    expect((await refresh(runtime, second.body.refresh_token)).status).toBe(200);
    expect((await refresh(runtime, "garbage")).body.error).toBe("invalid_grant");
    // Signing out ends the session, and every token it ever returned with it.
    await runtime.entra.signIn.signOut((await runtime.entra.directory.findUser(DEMO.tenantId, DEMO.users.dev.upn))!);
    for (const token of [first.body.refresh_token, second.body.refresh_token]) expect((await refresh(runtime, token)).body.error).toBe("invalid_grant");
  });

  it("expire after 90 days without use (AADSTS700082), not before", async () => {
    const local = await testRuntime();
    try {
      const first = await ropc(local, DEMO.users.dev.upn);
      local.clock.advance(89 * 86_400);
      const second = await refresh(local, first.body.refresh_token);
      expect(second.status).toBe(200);
      local.clock.advance(91 * 86_400);
      const third = await refresh(local, second.body.refresh_token);
      expect(third.status).toBe(400);
      expect(third.body.error_codes).toEqual([700082]);
      expect(third.body.error_description).toMatch(/AADSTS700082: The refresh token has expired due to inactivity\. The token was issued on .* and was inactive for 91\.00:00:\d\d\./);
    } finally {
      await local.close();
    }
  });

  it("are revoked by sign-out and by a password change (AADSTS50173)", async () => {
    const signedIn = await ropc(runtime, DEMO.users.appdev.upn);
    const home = (await runtime.store.users.get(DEMO.tenantId, DEMO.users.appdev.id))!;
    expect(await runtime.entra.signIn.signOut(home)).toBeGreaterThan(0);
    const afterSignOut = await refresh(runtime, signedIn.body.refresh_token);
    expect(afterSignOut.body.error_codes).toEqual([50173]);

    const again = await ropc(runtime, DEMO.users.appdev.upn);
    runtime.clock.advance(1);
    await runtime.store.users.update(DEMO.tenantId, DEMO.users.appdev.id, { tokensValidFrom: runtime.clock.now().toISOString() });
    const afterPasswordChange = await refresh(runtime, again.body.refresh_token);
    expect(afterPasswordChange.body.error_codes).toEqual([50173]);
    expect(afterPasswordChange.body.error_description).toContain("The user might have changed or reset their password.");
  });
});

describe("authorization code with PKCE", () => {
  it("shows a sign-in page, redirects with a code, and redeems it once with the verifier", async () => {
    const { createHash, randomBytes } = await import("node:crypto");
    const app = await runtime.entra.directory.createApplication({ tenantId: DEMO.tenantId, displayName: "web", redirectUris: { web: ["http://localhost:3000/redirect"] } });
    await runtime.entra.directory.createServicePrincipal({ tenantId: DEMO.tenantId, appId: app.appId });
    const secret = (await runtime.entra.directory.addPassword(app.id)).secretText!;
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const query = new URLSearchParams({ client_id: app.appId, response_type: "code", redirect_uri: "http://localhost:3000/redirect", scope: "openid offline_access User.Read", state: "xyz", code_challenge: challenge, code_challenge_method: "S256" });
    const pageResponse = await runtime.listeners.login.inject({ method: "GET", url: `/${DEMO.tenantId}/oauth2/v2.0/authorize?${query}` });
    expect(pageResponse.statusCode).toBe(200);
    expect(pageResponse.body).toContain('name="passwd"');

    const post = (password: string) =>
      runtime.listeners.login.inject({
        method: "POST",
        url: `/${DEMO.tenantId}/oauth2/v2.0/authorize`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: `${query}&login=${encodeURIComponent(DEMO.users.dev.upn)}&passwd=${encodeURIComponent(password)}`,
      });
    const wrong = await post("nope");
    expect(wrong.statusCode).toBe(200);
    expect(wrong.body).toContain("AADSTS50126");
    const signedIn = await post(DEMO.userPassword);
    expect(signedIn.statusCode).toBe(302);
    const location = new URL(signedIn.headers.location as string);
    expect(location.origin + location.pathname).toBe("http://localhost:3000/redirect");
    expect(location.searchParams.get("state")).toBe("xyz");
    const code = location.searchParams.get("code")!;

    const redeem = (extra: Record<string, string>) =>
      postToken(runtime, { grant_type: "authorization_code", client_id: app.appId, client_secret: secret, code, redirect_uri: "http://localhost:3000/redirect", scope: "openid offline_access User.Read", ...extra });
    expect((await redeem({ code_verifier: "wrong-verifier-wrong-verifier-wrong-verifier" })).body.error_codes).toEqual([501481]);
    const tokens = await redeem({ code_verifier: verifier });
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe("User.Read profile openid email");
    expect(decodeJwt(tokens.body.access_token)).toMatchObject({ oid: DEMO.users.dev.id, scp: "User.Read", aud: "00000003-0000-0000-c000-000000000000" });
    expect((await redeem({ code_verifier: verifier })).body.error_codes).toEqual([54005]);
  });

  it("shows client and redirect URI errors on the page", async () => {
    const unknownClient = await runtime.listeners.login.inject({ method: "GET", url: `/${DEMO.tenantId}/oauth2/v2.0/authorize?client_id=0a0a0a0a-0000-4000-8000-000000000000&redirect_uri=http://x/&response_type=code` });
    expect(unknownClient.statusCode).toBe(400);
    expect(unknownClient.body).toContain("AADSTS700016");
    const badRedirect = await runtime.listeners.login.inject({ method: "GET", url: `/${DEMO.tenantId}/oauth2/v2.0/authorize?client_id=${AZ_CLI}&redirect_uri=https://evil.example/&response_type=code` });
    expect(badRedirect.body).toContain("AADSTS50011");
  });

  it("checks the redirect URI for /common and /organizations too: nothing is sent to an address the application did not register", async () => {
    const app = await runtime.entra.directory.createApplication({ tenantId: DEMO.tenantId, displayName: "multi", redirectUris: { web: ["https://app.example/callback"] } });
    await runtime.entra.directory.createServicePrincipal({ tenantId: DEMO.tenantId, appId: app.appId });
    for (const tenant of ["common", "organizations"]) {
      for (const [redirect, extra] of [
        ["https://evil.example/", "&prompt=none"],
        ["https://evil.example/", "&response_type=token"],
        ["javascript:alert(document.domain)//", "&prompt=none&response_mode=form_post"],
        ["javascript:alert(document.domain)//", "&response_mode=form_post"],
      ] as const) {
        const url = `/${tenant}/oauth2/v2.0/authorize?client_id=${app.appId}&redirect_uri=${encodeURIComponent(redirect)}${extra.includes("response_type") ? "" : "&response_type=code"}${extra}`;
        const response = await runtime.listeners.login.inject({ method: "GET", url });
        expect(response.statusCode, url).toBe(400);
        expect(response.headers.location).toBeUndefined();
        expect(response.body).toContain("AADSTS50011");
        expect(response.body).not.toContain("<script>");
        const posted = await runtime.listeners.login.inject({ method: "POST", url: `/${tenant}/oauth2/v2.0/authorize`, headers: { "content-type": "application/x-www-form-urlencoded" }, payload: `${url.split("?")[1]}&login=${encodeURIComponent(DEMO.users.dev.upn)}&passwd=${encodeURIComponent(DEMO.userPassword)}` });
        expect(posted.statusCode).toBe(400);
        expect(posted.headers.location).toBeUndefined();
        expect(posted.body).not.toContain("<script>");
      }
      const unknown = await runtime.listeners.login.inject({ method: "GET", url: `/${tenant}/oauth2/v2.0/authorize?client_id=0a0a0a0a-0000-4000-8000-000000000000&redirect_uri=https://evil.example/&response_type=code&prompt=none` });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.body).toContain("AADSTS700016");
      // The registered address still works from /common.
      const fine = await runtime.listeners.login.inject({ method: "GET", url: `/${tenant}/oauth2/v2.0/authorize?client_id=${app.appId}&redirect_uri=${encodeURIComponent("https://app.example/callback")}&response_type=code&prompt=none` });
      expect(fine.statusCode).toBe(302);
      expect(new URL(fine.headers.location as string).origin).toBe("https://app.example");
    }
  });

  it("the sign-in page cannot be framed by another site", async () => {
    const page = await runtime.listeners.login.inject({ method: "GET", url: `/${DEMO.tenantId}/oauth2/v2.0/authorize?client_id=${AZ_CLI}&redirect_uri=http://localhost:8400&response_type=code` });
    expect(page.statusCode).toBe(200);
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  });

  it("a browser redeeming a code issued without PKCE gets AADSTS9002325", async () => {
    const spa = "https://spa.example/redirect";
    const app = await runtime.entra.directory.createApplication({ tenantId: DEMO.tenantId, displayName: "spa", redirectUris: { spa: [spa] } });
    await runtime.entra.directory.createServicePrincipal({ tenantId: DEMO.tenantId, appId: app.appId });
    const query = new URLSearchParams({ client_id: app.appId, response_type: "code", redirect_uri: spa, scope: "openid User.Read" });
    const signedIn = await runtime.listeners.login.inject({ method: "POST", url: `/${DEMO.tenantId}/oauth2/v2.0/authorize`, headers: { "content-type": "application/x-www-form-urlencoded" }, payload: `${query}&login=${encodeURIComponent(DEMO.users.dev.upn)}&passwd=${encodeURIComponent(DEMO.userPassword)}` });
    expect(signedIn.statusCode).toBe(302);
    const code = new URL(signedIn.headers.location as string).searchParams.get("code")!;
    const redeemed = await runtime.listeners.login.inject({
      method: "POST",
      url: `/${DEMO.tenantId}/oauth2/v2.0/token`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://spa.example" },
      payload: new URLSearchParams({ grant_type: "authorization_code", client_id: app.appId, code, redirect_uri: spa, scope: "openid User.Read" }).toString(),
    });
    expect(redeemed.statusCode).toBe(400);
    expect(JSON.parse(redeemed.body)).toMatchObject({ error: "invalid_request", error_codes: [9002325] });
    expect(JSON.parse(redeemed.body).error_description).toContain("AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption.");
  });
});
