import type { ServiceEndpoint } from "../model";
import { type Listed, orgApi, projectApi } from "./client";

/** Service connections (`_apis/serviceendpoint`): list, read, create, change, convert, delete, verify, their use. */

export interface VerifyResult {
  statusCode: string;
  errorMessage: string | null;
}

export interface ExecutionRecord {
  data: { id: number; planType?: string; definition?: { name: string }; owner?: { id: number; name: string }; result?: string; startTime?: string; finishTime?: string };
}

// The pickers' answers are the form's data (components/connection-form.ts, which imports nothing: unit-tested alone).
import type { Picker } from "../components/connection-form";

export type { ManagementGroup, Picker, Subscription } from "../components/connection-form";

const endpoint = (id: string) => `serviceendpoint/endpoints/${id}`;
const testConnection = { dataSourceName: "TestConnection", parameters: {} };

export const serviceEndpoints = {
  /** The project's Azure Resource Manager connections, failed ones included. */
  listAzureRm: (signal?: AbortSignal) => projectApi.get<Listed<ServiceEndpoint>>("serviceendpoint/endpoints", { includeFailed: true, type: "azurerm" }, undefined, signal),
  byNames: (names: string[]) => projectApi.get<Listed<ServiceEndpoint>>("serviceendpoint/endpoints", { endpointNames: names.join(",") }),
  get: (id: string, signal?: AbortSignal) => projectApi.get<ServiceEndpoint | null>(endpoint(id), { includeFailed: true }, undefined, signal),
  create: (body: unknown) => orgApi.send<ServiceEndpoint>("POST", "serviceendpoint/endpoints", body),
  update: (body: ServiceEndpoint) => orgApi.send<ServiceEndpoint>("PUT", endpoint(body.id), body),
  rotateSecret: (body: ServiceEndpoint) => orgApi.send<ServiceEndpoint>("PUT", endpoint(body.id), body, { operation: "RotateSecret" }),
  convertScheme: (body: ServiceEndpoint) => orgApi.send<ServiceEndpoint>("PUT", endpoint(body.id), body, { operation: "ConvertAuthenticationScheme" }),
  /** Deletes it from a project (`deep`: its automatic application and role assignments too). */
  remove: (id: string, projectId: string, deep?: boolean) => orgApi.send("DELETE", endpoint(id), undefined, { projectIds: projectId, deep }),
  /** Verify: the connection as saved, or (`details`) as edited before saving. */
  verify: (id: string, details?: unknown) => projectApi.send<VerifyResult>("POST", "serviceendpoint/endpointproxy", { dataSourceDetails: testConnection, ...(details ? { serviceEndpointDetails: details } : {}) }, { endpointId: id }),
  executionHistory: (id: string, signal?: AbortSignal) => projectApi.get<Listed<ExecutionRecord>>(`serviceendpoint/${id}/executionhistory`, { top: 50 }, undefined, signal),
  types: (signal?: AbortSignal) => orgApi.get<Listed<{ name: string; displayName: string }>>("serviceendpoint/types", undefined, undefined, signal),
  /** A picker of the creation dialog, read through the endpoint proxy with the person's own sign-in. */
  picker: <T>(name: "azurermsubscriptions" | "azurermmanagementgroups", signal?: AbortSignal) => orgApi.get<Picker<T>>(`serviceendpoint/endpointproxy/${name}`, undefined, undefined, signal),
};
