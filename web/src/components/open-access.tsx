import { useEffect, useState } from "react";
import { projectApi } from "../api";
import type { ServiceEndpoint } from "../model";

export interface PipelinePermissions {
  allPipelines: { authorized: boolean } | null;
  pipelines: Array<{ id: number; authorized: boolean; authorizedBy?: { displayName: string }; authorizedOn?: string }>;
}

export const readPipelinePermissions = (endpointId: string) => projectApi.get<PipelinePermissions>(`pipelines/pipelinePermissions/endpoint/${endpointId}`, undefined, "7.1-preview.1");

/** Which connections every pipeline may use (open access): one call, the build API's authorized resources. */
export function useOpenAccess(endpoints: ServiceEndpoint[] | undefined): Set<string> {
  const [open, setOpen] = useState(new Set<string>());
  useEffect(() => {
    if (!endpoints?.length) return;
    projectApi
      .get<{ value: Array<{ id: string; authorized: boolean }> }>("build/authorizedresources", { type: "endpoint" })
      .then((r) => setOpen(new Set(r.value.filter((x) => x.authorized).map((x) => x.id.toLowerCase()))))
      .catch(() => setOpen(new Set()));
  }, [endpoints]);
  return open;
}
