import type { ConnectionForJob } from "../ports.js";

/** An environment variable name for a variable, as the agent makes it: upper case, `.` and space as `_`. */
export const envName = (name: string) => name.replace(/[. ]/g, "_").toUpperCase();

/** svcconn's own listeners, which stand for the Azure cloud a connection names. */
export interface CloudUrls {
  login: string;
  arm: string;
  graph: string;
}

const PUBLIC_ARM = /^https:\/\/management\.azure\.com\/?$/i;

/**
 * The environment the agent gives a task for one service connection (docs/reference/pipelines.md §1.2). The
 * server adds the cloud's authority and Graph URL to the job message; svcconn's name its own listeners, and an
 * AzureCloud connection's ARM URL is svcconn's ARM (docs/wire-notes.md).
 */
export function connectionEnvironment(connection: ConnectionForJob, cloud: CloudUrls): Record<string, string> {
  const key = connection.id;
  const env: Record<string, string> = {};
  env[`ENDPOINT_URL_${key}`] = PUBLIC_ARM.test(connection.url) ? `${cloud.arm}/` : connection.url;
  env[`ENDPOINT_AUTH_${key}`] = JSON.stringify({ parameters: connection.parameters, scheme: connection.scheme });
  env[`ENDPOINT_AUTH_SCHEME_${key}`] = connection.scheme;
  for (const [name, value] of Object.entries(connection.parameters)) env[`ENDPOINT_AUTH_PARAMETER_${key}_${name.toUpperCase()}`] = value;
  // The server adds the cloud's authority to the job message; svcconn's points at its own login listener.
  const data = { ...connection.data, activeDirectoryAuthority: `${cloud.login}/`, environmentAuthorityUrl: `${cloud.login}/`, graphUrl: `${cloud.graph}/`, microsoftGraphUrl: `${cloud.graph}/` };
  env[`ENDPOINT_DATA_${key}`] = JSON.stringify(data);
  for (const [name, value] of Object.entries(data)) env[`ENDPOINT_DATA_${key}_${name.toUpperCase()}`] = value;
  return env;
}

/** The system connection every task gets: the collection URL and the job's access token. */
export function systemConnectionEnvironment(collectionUri: string, jobToken: string): Record<string, string> {
  return {
    ENDPOINT_URL_SYSTEMVSSCONNECTION: collectionUri,
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ parameters: { AccessToken: jobToken }, scheme: "OAuth" }),
    ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION: "OAuth",
    ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: jobToken,
  };
}

/** `$(name)` macros with the job's variables now (unknown names stay as written, as on the agent). */
export function expandMacros(text: string, lookup: (name: string) => string | undefined): string {
  return text.replace(/\$\(([\w.\- ]+)\)/g, (whole, name: string) => lookup(name) ?? whole);
}
