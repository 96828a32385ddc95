import { useMemo } from "react";
import { useLoad } from "../use-load";
import { projectApi } from "../api";
import type { ServiceEndpoint } from "../model";

export interface PipelinePermissions {
  allPipelines: { authorized: boolean } | null;
  pipelines: Array<{ id: number; authorized: boolean; authorizedBy?: { displayName: string }; authorizedOn?: string }>;
}

export const readPipelinePermissions = (endpointId: string, signal?: AbortSignal) => projectApi.get<PipelinePermissions>(`pipelines/pipelinePermissions/endpoint/${endpointId}`, undefined, "7.1-preview.1", signal);

/** Which connections every pipeline may use (open access): one call, the build API's authorized resources. */
export function useOpenAccess(endpoints: ServiceEndpoint[] | undefined): Set<string> {
  const { data } = useLoad(
    endpoints?.length ? (signal) => projectApi.get<{ value: Array<{ id: string; authorized: boolean }> }>("build/authorizedresources", { type: "endpoint" }, undefined, signal) : undefined,
    [endpoints],
  );
  return useMemo(() => new Set((data?.value ?? []).filter((x) => x.authorized).map((x) => x.id.toLowerCase())), [data]);
}
