import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO, DEMO_WORLD_YAML } from "../../src/world/demo.js";
import { postToken } from "./entra.js";

export const ORG = DEMO.organization.name;
export const PROJECT = DEMO.project.name;
export type Member = keyof typeof DEMO.pats;

/** HTTP Basic with an empty user name, as azure-devops-node-api sends a PAT. */
export const basic = (pat: string) => `Basic ${Buffer.from(`:${pat}`).toString("base64")}`;

export interface DevOpsCall {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/**
 * Calls the devops listener with inject(). `who` is a demo member (its PAT), a raw Authorization header, or
 * undefined. The api-version 7.1 is added to the query unless the path or `version: null` says otherwise.
 */
export async function devops(
  runtime: Runtime,
  who: Member | { authorization: string } | undefined,
  method: string,
  path: string,
  body?: unknown,
  options: { version?: string | null; raw?: string; headers?: Record<string, string> } = {},
): Promise<DevOpsCall> {
  const version = options.version === undefined ? "7.1" : options.version;
  const url = version && !/api-version=/.test(path) ? `${path}${path.includes("?") ? "&" : "?"}api-version=${version}` : path;
  const authorization = who === undefined ? undefined : typeof who === "string" ? basic(DEMO.pats[who]) : who.authorization;
  const payload = options.raw ?? (body !== undefined ? JSON.stringify(body) : undefined);
  const response = await runtime.listeners.devops.inject({
    method: method as never,
    url,
    headers: {
      host: "127.0.0.1:8446",
      ...(authorization ? { authorization } : {}),
      ...(payload !== undefined ? { "content-type": "application/json" } : {}),
      ...options.headers,
    },
    ...(payload !== undefined ? { payload } : {}),
  });
  const text = response.body;
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the raw text is returned
  }
  return { status: response.statusCode, body: parsed, headers: response.headers };
}

export interface AzureRmOptions {
  name: string;
  scheme?: "WorkloadIdentityFederation" | "ServicePrincipal" | "ManagedServiceIdentity";
  creationMode?: "Automatic" | "Manual";
  subscriptionId?: string;
  subscriptionName?: string;
  scopeLevel?: "Subscription" | "ManagementGroup" | "AzureMLWorkspace";
  managementGroupId?: string;
  resourceGroup?: string;
  parameters?: Record<string, string>;
  data?: Record<string, string>;
  projects?: Array<{ id?: string; name?: string }>;
}

/** An azurerm ServiceEndpoint body as the portal and the clients post it. */
export function azurerm(options: AzureRmOptions): Record<string, unknown> {
  const scheme = options.scheme ?? "WorkloadIdentityFederation";
  const data: Record<string, string> = { environment: "AzureCloud", ...options.data };
  if (scheme !== "ManagedServiceIdentity") data.creationMode = options.creationMode ?? "Automatic";
  if (options.scopeLevel === "ManagementGroup") {
    Object.assign(data, { scopeLevel: "ManagementGroup", managementGroupId: options.managementGroupId ?? DEMO.managementGroup, managementGroupName: "Platform" });
  } else {
    Object.assign(data, { scopeLevel: options.scopeLevel ?? "Subscription", subscriptionId: options.subscriptionId ?? DEMO.devSubscriptionId, subscriptionName: options.subscriptionName ?? "Contoso Development" });
  }
  const parameters: Record<string, string> = { tenantid: DEMO.tenantId, ...options.parameters };
  if (options.resourceGroup) parameters.scope = `/subscriptions/${data.subscriptionId}/resourcegroups/${options.resourceGroup}`;
  return {
    name: options.name,
    type: "azurerm",
    url: "https://management.azure.com/",
    description: "",
    authorization: { scheme, parameters },
    data,
    isShared: false,
    owner: "library",
    serviceEndpointProjectReferences: (options.projects ?? [{ id: DEMO.project.id }]).map((p) => ({ projectReference: p, name: options.name, description: "" })),
  };
}

/** Creates a connection and, when it is automatic, waits for the four steps; returns the endpoint as read back. */
export async function createEndpoint(runtime: Runtime, who: Member, body: Record<string, unknown>): Promise<any> {
  const created = await devops(runtime, who, "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body);
  if (created.status !== 200) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  await runtime.devops.creation.settled();
  const read = await devops(runtime, who, "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${created.body.id}`);
  return read.body;
}

/** A user signs in again (a new session), as the guide's "sign out and in" fix does. */
export async function signInAgain(runtime: Runtime, upn: string, tenant: string = DEMO.tenantId): Promise<void> {
  const result = await postToken(
    runtime,
    { grant_type: "password", client_id: "499b84ac-1321-427f-aa17-267ca6975798", username: upn, password: DEMO.userPassword, scope: "499b84ac-1321-427f-aa17-267ca6975798/.default offline_access" },
    `/${tenant}/oauth2/v2.0/token`,
  );
  if (result.status !== 200) throw new Error(`sign-in: ${JSON.stringify(result.body)}`);
}

export const advance = async (runtime: Runtime, seconds: number) => runtime.clock.advance(seconds);

/** The demo world with a second project `ops` (admin administers it, dev reads it), as a world file path. */
export function twoProjectWorld(): string {
  const world = parse(DEMO_WORLD_YAML);
  const org = world.organizations[0];
  org.projects.push({ name: "ops" });
  org.members[0].projects.ops = ["Project Administrators"];
  org.members[1].projects.ops = ["Readers"];
  const file = join(mkdtempSync(join(tmpdir(), "svcconn-world-")), "world.yaml");
  writeFileSync(file, stringify(world));
  return file;
}
