import { accessToken } from "../auth";
import { config } from "../config";

/** An error answered by a service, with its own text (what Azure DevOps shows) and type key. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly typeKey?: string,
  ) {
    super(message);
  }
}

const API_VERSION = "7.1";

type Query = Record<string, string | number | boolean | undefined>;

function withQuery(path: string, query: Query = {}, version: string | undefined = API_VERSION): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  if (version) params.set("api-version", version);
  const q = params.toString();
  return q ? `${path}${path.includes("?") ? "&" : "?"}${q}` : path;
}

const org = () => `/${encodeURIComponent(config.organization)}`;
const project = () => `${org()}/${encodeURIComponent(config.project ?? "")}`;

async function call<T>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const token = await accessToken(config.devopsScope);
  const response = await fetch(url, {
    method,
    signal,
    headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const wire = (json ?? {}) as { message?: string; typeKey?: string };
    throw new ApiError(response.status, wire.message ?? (text || response.statusText), wire.typeKey);
  }
  return json as T;
}

/**
 * Azure DevOps' REST calls, under the organization (`/{org}/_apis/…`) or the project (`/{org}/{project}/_apis/…`).
 * Only the area clients beside this file use them; pages and components call those. A read takes the signal that
 * cancels it (useLoad's).
 */
export const orgApi = {
  get: <T>(path: string, query?: Query, version?: string, signal?: AbortSignal) => call<T>("GET", withQuery(`${org()}/_apis/${path}`, query, version), undefined, signal),
  send: <T>(method: string, path: string, body?: unknown, query?: Query, version?: string) => call<T>(method, withQuery(`${org()}/_apis/${path}`, query, version), body),
};

export const projectApi = {
  get: <T>(path: string, query?: Query, version?: string, signal?: AbortSignal) => call<T>("GET", withQuery(`${project()}/_apis/${path}`, query, version), undefined, signal),
  send: <T>(method: string, path: string, body?: unknown, query?: Query, version?: string) => call<T>(method, withQuery(`${project()}/_apis/${path}`, query, version), body),
};

/** svcconn's own routes on the DevOps listener (explain, doctor). */
export const svcconnApi = {
  send: <T>(path: string, body: unknown, signal?: AbortSignal) => call<T>("POST", `/_svcconn/${path}`, body, signal),
};

/** A GET of Microsoft Graph or Azure Resource Manager with the person's own token for it. */
export async function azureGet<T>(url: string, scope: string, signal?: AbortSignal): Promise<T> {
  const token = await accessToken(scope);
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
  if (!response.ok) throw new Error(`${url.startsWith(config.graphUrl) ? "Microsoft Graph" : "Azure Resource Manager"} answered ${response.status}`);
  return (await response.json()) as T;
}

export interface Listed<T> {
  count: number;
  value: T[];
}
