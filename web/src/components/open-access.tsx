import { useMemo } from "react";
import { useLoad } from "../use-load";
import { pipelines } from "../api/pipelines";
import type { ServiceEndpoint } from "../model";

/** Which connections every pipeline may use (open access): one call, the build API's authorized resources. */
export function useOpenAccess(endpoints: ServiceEndpoint[] | undefined): Set<string> {
  const { data } = useLoad(
    endpoints?.length ? (signal) => pipelines.openEndpoints(signal) : undefined,
    [endpoints],
  );
  return useMemo(() => new Set((data?.value ?? []).filter((x) => x.authorized).map((x) => x.id.toLowerCase())), [data]);
}
