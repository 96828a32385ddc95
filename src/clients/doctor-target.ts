import { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { TokenCredential } from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import * as azdev from "azure-devops-node-api";
import type { IRequestOptions } from "azure-devops-node-api/interfaces/common/VsoBaseInterfaces.js";
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent as UndiciAgent } from "undici";
import type { FixTarget } from "../doctor/fix/target.js";
import type { ScanTarget } from "../doctor/scan/target.js";
import { armPart } from "./doctor-target/arm.js";
import { devopsPart, runsPart } from "./doctor-target/devops.js";
import { graphPart } from "./doctor-target/graph.js";

export interface SdkDoctorTargetOptions {
  /** The organization's URL: `https://dev.azure.com/{org}`, or svcconn's devops listener and the organization. */
  organizationUrl: string;
  /** A PAT that may read the projects' service connections (a project administrator's)… */
  pat?: string;
  /** …or an Entra access token for Azure DevOps (a signed-in person's). */
  devopsToken?: string;
  /** Who reads the directory and Azure (a directory reader, Reader on the scopes): az login, a service principal… */
  credential: TokenCredential;
  graphUrl?: string;
  armUrl?: string;
  /**
   * A CA to trust besides the system's (svcconn's local CA) for every call: the server's own scan trusts its CA in
   * process, whatever NODE_EXTRA_CA_CERTS says.
   */
  caFile?: string;
}

/**
 * The doctor's reads and writes through the official SDKs: azure-devops-node-api for projects, connections, their
 * usage and permissions (`doctor-target/devops.ts`), the Microsoft Graph client for applications and service
 * principals (`graph.ts`), @azure/arm-authorization for role assignments (`arm.ts`). The same calls reach svcconn or
 * the real services; only the URLs and credentials differ.
 */
export function sdkDoctorTarget(options: SdkDoctorTargetOptions): ScanTarget & FixTarget {
  const requestOptions: IRequestOptions = options.caFile ? { cert: { caFile: options.caFile }, allowRetries: true, maxRetries: 3 } : { allowRetries: true, maxRetries: 3 };
  const handler = options.devopsToken ? azdev.getBearerHandler(options.devopsToken) : azdev.getPersonalAccessTokenHandler(options.pat ?? "");
  const web = new azdev.WebApi(options.organizationUrl, handler, requestOptions);
  const organization = decodeURIComponent(new URL(options.organizationUrl).pathname.split("/").filter(Boolean).pop() ?? "");
  const graphUrl = (options.graphUrl ?? "https://graph.microsoft.com").replace(/\/$/, "");
  const trusted = options.caFile ? [...rootCertificates, readFileSync(options.caFile, "utf8")] : undefined;
  const graph = Client.initWithMiddleware({
    // Tokens name the resource, not the host that serves it (svcconn's listener, a proxy): Graph's own identifier.
    authProvider: new TokenCredentialAuthenticationProvider(options.credential, { scopes: ["https://graph.microsoft.com/.default"] }),
    baseUrl: `${graphUrl}/`,
    customHosts: new Set([new URL(graphUrl).hostname]),
    // The Graph client calls fetch, whose TLS settings are its dispatcher's.
    fetchOptions: trusted ? ({ dispatcher: new UndiciAgent({ connect: { ca: trusted } }) } as RequestInit) : undefined,
  });
  const armUrl = options.armUrl ?? "https://management.azure.com";
  // Role assignments are read by scope; the client's subscription id is not used for them.
  const authorization = new AuthorizationManagementClient(options.credential, "00000000-0000-0000-0000-000000000000", { endpoint: armUrl, credentialScopes: ["https://management.azure.com/.default"], tlsOptions: trusted ? { ca: trusted } : undefined });
  return { organization, ...devopsPart(web, options.organizationUrl), ...runsPart(web), ...graphPart(graph), ...armPart(authorization) };
}
