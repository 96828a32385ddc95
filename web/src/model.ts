/** The wire shapes of the Azure DevOps APIs the pages read (only the fields they use). */
export interface IdentityRef {
  id: string;
  displayName: string;
  uniqueName?: string;
}

export interface ServiceEndpoint {
  id: string;
  name: string;
  type: string;
  url: string;
  description?: string;
  createdBy?: IdentityRef;
  authorization: { scheme: string; parameters?: Record<string, string> };
  data: Record<string, string>;
  isShared: boolean;
  isReady: boolean;
  owner: string;
  operationStatus?: { state: string; statusMessage: string; failedStep?: { number: number; of: number; name: string } };
  serviceEndpointProjectReferences: Array<{ projectReference: { id: string; name: string }; name: string; description?: string }>;
}

export interface Explanation {
  id: string;
  title: string;
  confidence: number;
  cause: string;
  fix: string[];
  verify: string[];
  references: string[];
  undecided?: { reason: string; checks: string[] };
  /** `other`: not caused by the connection; null: not recognised, or no failure in the log. */
  rootCauseClass: string | null;
  uncertain?: { candidates: Array<{ id: string; title: string; confidence: number }>; question: string };
  context?: { log: boolean; task?: string; taskSchemes?: string[]; scheme?: string };
}

export const SCHEME_LABEL: Record<string, string> = {
  WorkloadIdentityFederation: "Workload identity federation",
  ServicePrincipal: "Service principal (secret or certificate)",
  ManagedServiceIdentity: "Managed identity",
  PublishProfile: "Publish profile",
};

export function scopeOf(e: ServiceEndpoint): string {
  const d = e.data;
  if (d.scopeLevel === "ManagementGroup") return `Management group ${d.managementGroupName ?? d.managementGroupId ?? ""}`;
  const rg = e.authorization.parameters?.scope?.match(/resourceGroups\/([^/]+)/i)?.[1];
  const sub = d.subscriptionName ?? d.subscriptionId ?? "";
  return rg ? `${sub} / ${rg}` : sub;
}

export type Status = "Ready" | "Failed" | "In progress";
export function statusOf(e: ServiceEndpoint): Status {
  const state = e.operationStatus?.state ?? (e.isReady ? "Ready" : "InProgress");
  if (state === "Failed") return "Failed";
  if (state === "InProgress") return "In progress";
  return "Ready";
}
