/**
 * What the web UI's page is given before anyone signs in (written into index.html by src/server/web-ui.ts, read by
 * web/src/config.ts): where to sign in, for which organization; everything else it reads from the REST APIs.
 */
export interface WebConfig {
  organization: string;
  project?: string;
  tenantId: string;
  /** `{login}/{tenantId}`: the sign-in authority. */
  authority: string;
  /** The first-party Azure DevOps application the page signs in as. */
  clientId: string;
  devopsScope: string;
  armScope: string;
  graphScope: string;
  /** Microsoft Graph's base URL (credential expiry is read there). */
  graphUrl: string;
  /** Azure Resource Manager's base URL (the creation dialog lists resource groups and workspaces there). */
  armUrl: string;
  /** svcconn's current time (its clock can be ahead of the computer's): days left count from it. */
  now: string;
}
