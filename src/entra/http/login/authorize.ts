import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { PlaneError } from "../../../core/errors.js";
import { AadstsError, aadsts } from "../../errors.js";
import type { Tenant } from "../../model.js";
import type { EntraService } from "../../service.js";

const PASSED_ON = ["client_id", "response_type", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "nonce", "response_mode", "prompt"] as const;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f2f2f2;font-family:"Segoe UI",system-ui,sans-serif;color:#1b1b1b}
main{box-sizing:border-box;width:100%;max-width:440px;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.brand{font-size:.95rem;font-weight:600;color:#5e5e5e;margin:0 0 16px}
h1{font-size:1.5rem;font-weight:600;margin:0 0 16px}
label{display:block;font-size:.9rem;margin-top:12px}
input{display:block;box-sizing:border-box;width:100%;margin:4px 0 8px;padding:6px 0;border:0;border-bottom:1px solid #666;font:inherit;outline-offset:2px}
input:focus{border-bottom:2px solid #0067b8}
button{margin-top:20px;float:right;min-width:108px;padding:6px 12px;border:0;background:#0067b8;color:#fff;font:inherit;cursor:pointer}
button:hover{background:#005da6}button:focus-visible{outline:2px solid #000;outline-offset:2px}
form::after{content:"";display:block;clear:both}
.note{font-size:.8rem;color:#5e5e5e;margin-top:24px}
.error{color:#a80000;border-left:3px solid #a80000;padding-left:.6rem}
</style></head><body><main>${body}</main></body></html>`;
}

function signInPage(params: Record<string, string>, error?: string, username = ""): string {
  const hidden = PASSED_ON.filter((k) => params[k] !== undefined)
    .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(params[k]!)}">`)
    .join("");
  return page(
    "Sign in to your account",
    `<p class="brand">svcconn · Microsoft Entra ID</p><h1>Sign in</h1>${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post">${hidden}<label for="login">Email or username</label><input id="login" name="login" autocomplete="username" value="${escapeHtml(username || params.login_hint || "")}">
<label for="passwd">Password</label><input id="passwd" name="passwd" type="password" autocomplete="current-password"><button type="submit" id="idSIButton9">Sign in</button></form>
<p class="note">A local Entra ID for tests: only the accounts of svcconn's world sign in here.</p>`,
  );
}

function errorPage(error: PlaneError): string {
  return page("Sign in error", `<h1>Sorry, but we're having trouble signing you in.</h1><p class="error">${escapeHtml(error.message)}</p>`);
}

/** The sign-in pages may not be framed by another site (clickjacking), as Entra's are not. */
function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.status(status).header("x-frame-options", "DENY").header("content-security-policy", "frame-ancestors 'none'").type("text/html").send(body);
}

/** Sends the result to the client's redirect URI: query string by default, the fragment, or an auto-submitting form. */
function redirectTo(reply: FastifyReply, clientId: string, redirectUri: string, mode: string | undefined, values: Record<string, string>): FastifyReply {
  if (mode === "form_post") {
    // Only a web address can receive a form: anything else (a javascript: URI) would run in this page's origin.
    if (!/^https?:\/\//i.test(redirectUri)) return html(reply, 400, errorPage(aadsts.redirectUriMismatch(redirectUri, clientId)));
    const inputs = Object.entries(values)
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join("");
    return html(reply, 200, page("Working…", `<form method="post" action="${escapeHtml(redirectUri)}">${inputs}<noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script>`));
  }
  const url = new URL(redirectUri);
  if (mode === "fragment") {
    url.hash = new URLSearchParams(values).toString();
    return reply.redirect(url.toString(), 302);
  }
  for (const [k, v] of Object.entries(values)) url.searchParams.set(k, v);
  return reply.redirect(url.toString(), 302);
}

/**
 * The authorization endpoint of the code flow: a minimal sign-in page, then a redirect with a one-time code.
 * Errors about the client or its redirect URI are shown on the page (never sent to an unverified URI); others
 * go back to the client as `error`/`error_description`.
 */
export function authorizeRoutes(app: FastifyInstance, entra: EntraService): void {
  const validate = async (tenantSegment: string, params: Record<string, string>): Promise<{ tenant: Tenant | "multi"; redirectUri: string }> => {
    const tenant = await entra.directory.resolveTenant(tenantSegment);
    if (!params.client_id) throw new AadstsError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
    if (!params.redirect_uri) throw new AadstsError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'redirect_uri'.");
    // Every tenant form checks the redirect URI against the application's own before anything is sent to it.
    const client = tenant === "multi" ? await entra.signIn.clientBeforeSignIn(params.client_id, tenantSegment) : await entra.signIn.client(tenant, params.client_id);
    entra.signIn.checkRedirectUri(client, params.redirect_uri);
    return { tenant, redirectUri: params.redirect_uri };
  };

  app.get<{ Params: { tenant: string }; Querystring: Record<string, string> }>("/:tenant/oauth2/v2.0/authorize", async (request, reply) => {
    const params = request.query;
    try {
      await validate(request.params.tenant, params);
    } catch (error) {
      if (error instanceof AadstsError) return html(reply, 400, errorPage(error));
      throw error;
    }
    if (params.prompt === "none") {
      // A silent sign-in (MSAL's hidden iframe): there is no browser session to reuse, so the client is told to
      // ask the person, which it does with a visible sign-in.
      const error = aadsts.silentSignInNoUser();
      return redirectTo(reply, params.client_id!, params.redirect_uri!, params.response_mode, { error: error.errorClass, error_description: error.message, ...(params.state ? { state: params.state } : {}) });
    }
    if (params.response_type !== "code") {
      return redirectTo(reply, params.client_id!, params.redirect_uri!, params.response_mode, {
        error: "unsupported_response_type",
        error_description: `AADSTS70000: The response type '${params.response_type ?? ""}' is not supported; use 'code'.`,
        ...(params.state ? { state: params.state } : {}),
      });
    }
    return html(reply, 200, signInPage(params));
  });

  app.post<{ Params: { tenant: string } }>("/:tenant/oauth2/v2.0/authorize", async (request: FastifyRequest<{ Params: { tenant: string } }>, reply) => {
    const form: Record<string, string> = {};
    if (typeof request.body === "string") for (const [k, v] of new URLSearchParams(request.body)) form[k] = v;
    let tenant: Tenant | "multi";
    try {
      ({ tenant } = await validate(request.params.tenant, form));
    } catch (error) {
      if (error instanceof AadstsError) return html(reply, 400, errorPage(error));
      throw error;
    }
    const username = form.login ?? "";
    try {
      if (tenant === "multi") {
        // common/organizations: the account's home directory is the tenant.
        const home = (await Promise.all((await entra.directory.tenants()).map(async (t) => ((await entra.directory.findUser(t.id, username))?.userType === "Member" ? t : undefined)))).find(Boolean);
        if (!home) throw new AadstsError(400, "invalid_grant", 50034, `The user account ${username} does not exist in any directory.`);
        tenant = home;
        entra.signIn.checkRedirectUri(await entra.signIn.client(tenant, form.client_id!), form.redirect_uri!);
      }
      const { user } = await entra.signIn.verifyPassword(tenant, username, form.passwd ?? "");
      const code = await entra.signIn.issueCode({
        tenant,
        user,
        clientId: form.client_id!,
        redirectUri: form.redirect_uri!,
        scope: form.scope ?? "openid profile",
        codeChallenge: form.code_challenge,
        codeChallengeMethod: form.code_challenge_method ?? (form.code_challenge ? "plain" : undefined),
        nonce: form.nonce,
      });
      return redirectTo(reply, form.client_id!, form.redirect_uri!, form.response_mode, {
        code,
        client_info: Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })).toString("base64url"),
        ...(form.state ? { state: form.state } : {}),
        session_state: user.id,
      });
    } catch (error) {
      if (error instanceof AadstsError) return html(reply, 200, signInPage(form, error.message, username));
      throw error;
    }
  });
}
