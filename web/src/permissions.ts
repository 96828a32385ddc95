import { useEffect, useState } from "react";
import { orgApi } from "./api";
import { config } from "./config";

/** The ServiceEndpoints security namespace and its permission bits, as the Azure DevOps web pages check them. */
export const SERVICE_ENDPOINTS_NAMESPACE = "49b48001-ca20-4adc-8111-5b60c903a50c";
export const ENDPOINT_PERMISSION = { use: 1, administer: 2, create: 4, viewAuthorization: 8, viewEndpoint: 16 } as const;

let projectId: Promise<string> | undefined;
export function currentProjectId(): Promise<string> {
  projectId ??= orgApi.get<{ id: string }>(`projects/${encodeURIComponent(config.project ?? "")}`).then((p) => p.id);
  return projectId;
}

/** Whether the signed-in person holds each permission on the tokens (one answer per token). */
export async function hasPermissions(bits: number, tokens: string[]): Promise<boolean[]> {
  const result = await orgApi.get<{ value: boolean[] }>(`permissions/${SERVICE_ENDPOINTS_NAMESPACE}/${bits}`, { tokens: tokens.join(",") });
  return result.value;
}

/**
 * What the person may do with the project's connections: the New button shows only for those who can create, and
 * the project-level Security roles change only for their administrators.
 */
export function useProjectPermissions(): { loaded: boolean; canCreate: boolean; canAdminister: boolean; projectId?: string } {
  const [state, setState] = useState<{ loaded: boolean; canCreate: boolean; canAdminister: boolean; projectId?: string }>({ loaded: false, canCreate: false, canAdminister: false });
  useEffect(() => {
    currentProjectId()
      .then(async (projectId) => {
        const [canCreate, canAdminister] = await Promise.all([hasPermissions(ENDPOINT_PERMISSION.create, [`endpoints/${projectId}`]), hasPermissions(ENDPOINT_PERMISSION.administer, [`endpoints/${projectId}`])]);
        setState({ loaded: true, canCreate: !!canCreate[0], canAdminister: !!canAdminister[0], projectId });
      })
      .catch(() => setState({ loaded: true, canCreate: false, canAdminister: false }));
  }, []);
  return state;
}

/** Whether the person administers one connection (Edit, Rotate, Convert, Security, Delete). */
export function useEndpointAdministration(endpointId: string): boolean {
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    currentProjectId()
      .then((id) => hasPermissions(ENDPOINT_PERMISSION.administer, [`endpoints/${id}/${endpointId}`]))
      .then(([can]) => setAdmin(!!can))
      .catch(() => setAdmin(false));
  }, [endpointId]);
  return admin;
}
