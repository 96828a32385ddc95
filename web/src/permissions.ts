import { useLoad } from "./use-load";
import { security } from "./api/security";

/** The ServiceEndpoints security namespace and its permission bits, as the Azure DevOps web pages check them. */
export const SERVICE_ENDPOINTS_NAMESPACE = "49b48001-ca20-4adc-8111-5b60c903a50c";
export const ENDPOINT_PERMISSION = { use: 1, administer: 2, create: 4, viewAuthorization: 8, viewEndpoint: 16 } as const;

let projectId: Promise<string> | undefined;
export function currentProjectId(): Promise<string> {
  projectId ??= security.currentProject().then((p) => p.id);
  return projectId;
}

/** Whether the signed-in person holds each permission on the tokens (one answer per token). */
export async function hasPermissions(bits: number, tokens: string[]): Promise<boolean[]> {
  return security.hasPermissions(SERVICE_ENDPOINTS_NAMESPACE, bits, tokens);
}

/**
 * What the person may do with the project's connections: the New button shows only for those who can create, and
 * the project-level Security roles change only for their administrators.
 */
export function useProjectPermissions(): { loaded: boolean; canCreate: boolean; canAdminister: boolean; projectId?: string } {
  const { data, error } = useLoad(async () => {
    const projectId = await currentProjectId();
    const [canCreate, canAdminister] = await Promise.all([hasPermissions(ENDPOINT_PERMISSION.create, [`endpoints/${projectId}`]), hasPermissions(ENDPOINT_PERMISSION.administer, [`endpoints/${projectId}`])]);
    return { loaded: true, canCreate: !!canCreate[0], canAdminister: !!canAdminister[0], projectId };
  }, []);
  // A check that fails allows nothing.
  return error ? { loaded: true, canCreate: false, canAdminister: false } : (data ?? { loaded: false, canCreate: false, canAdminister: false });
}

/** Whether the person administers one connection (Edit, Rotate, Convert, Security, Delete). */
export function useEndpointAdministration(endpointId: string): boolean {
  const { data, error } = useLoad(async () => (await hasPermissions(ENDPOINT_PERMISSION.administer, [`endpoints/${await currentProjectId()}/${endpointId}`]))[0], [endpointId]);
  return !error && !!data;
}
