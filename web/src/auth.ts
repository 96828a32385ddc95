import { type AccountInfo, InteractionRequiredAuthError, PublicClientApplication } from "@azure/msal-browser";
import { config } from "./config";

/**
 * Sign-in with MSAL.js against svcconn's Entra ID: authorization code with PKCE, as the Azure DevOps web client
 * does; `/_signedin` is its single-page-app redirect URI. Tokens for Azure DevOps, ARM and Graph come from the
 * same session (refresh token).
 */
const msal = new PublicClientApplication({
  auth: {
    clientId: config.clientId,
    authority: config.authority,
    knownAuthorities: [new URL(config.authority).host],
    redirectUri: `${location.origin}/_signedin`,
    postLogoutRedirectUri: `${location.origin}/_signedin`,
    navigateToLoginRequestUrl: true,
  },
  cache: { cacheLocation: "sessionStorage" },
});

let account: AccountInfo | null = null;

/** Finishes a sign-in coming back from the login page, or starts one. Resolves with the account once signed in. */
export async function signIn(): Promise<AccountInfo | null> {
  await msal.initialize();
  const result = await msal.handleRedirectPromise();
  account = result?.account ?? msal.getActiveAccount() ?? msal.getAllAccounts().find((a) => a.tenantId === config.tenantId) ?? null;
  if (account) {
    msal.setActiveAccount(account);
    return account;
  }
  if (location.pathname === "/_signedin") return null;
  await msal.loginRedirect({ scopes: [config.devopsScope], prompt: "login" });
  return null;
}

export function currentAccount(): AccountInfo | null {
  return account;
}

/** An access token for one resource, from the session; a session that ended sends the person to sign in again. */
let queue: Promise<unknown> = Promise.resolve();
export function accessToken(scope: string): Promise<string> {
  // One at a time: the first call for a resource refreshes, and the calls behind it then find its token cached
  // instead of each refreshing again.
  const next = queue.then(() => acquire(scope));
  queue = next.catch(() => undefined);
  return next;
}

async function acquire(scope: string): Promise<string> {
  if (!account) throw new Error("Not signed in.");
  try {
    return (await msal.acquireTokenSilent({ scopes: [scope], account })).accessToken;
  } catch (error) {
    if (error instanceof InteractionRequiredAuthError) {
      await msal.acquireTokenRedirect({ scopes: [scope], account });
    }
    throw error;
  }
}

export async function signOut(): Promise<void> {
  // The session ends here; svcconn's sign-in page asks for the password again next time.
  await msal.clearCache();
  account = null;
  location.reload();
}
