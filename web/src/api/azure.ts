import { config } from "../config";
import { azureGet } from "./client";

/** What the pages read from Microsoft Graph and Azure Resource Manager directly, with the person's own tokens. */

export interface GraphApplication {
  appId: string;
  passwordCredentials: Array<{ endDateTime: string }>;
  keyCredentials: Array<{ endDateTime: string }>;
}

type Page<T> = { value: T[]; "@odata.nextLink"?: string };

export const graph = {
  /** Every application's credentials' end dates, page after page. */
  async applicationCredentials(signal?: AbortSignal): Promise<GraphApplication[]> {
    const all: GraphApplication[] = [];
    let next: string | undefined = `${config.graphUrl}/v1.0/applications?$select=appId,passwordCredentials,keyCredentials&$top=999`;
    while (next) {
      const page: Page<GraphApplication> = await azureGet(next, config.graphScope, signal);
      all.push(...page.value);
      next = page["@odata.nextLink"];
    }
    return all;
  },
};

export interface ArmResource {
  name: string;
  location?: string;
}

const armList = (path: string, signal?: AbortSignal) => azureGet<Page<ArmResource>>(`${config.armUrl}${path}`, config.armScope, signal).then((p) => p.value);

/** What the creation dialog's pickers list from ARM, as the person can see it. */
export const arm = {
  resourceGroups: (subscriptionId: string, signal?: AbortSignal) => armList(`/subscriptions/${subscriptionId}/resourcegroups?api-version=2021-04-01`, signal),
  machineLearningWorkspaces: (subscriptionId: string, resourceGroup: string, signal?: AbortSignal) =>
    armList(`/subscriptions/${subscriptionId}/resourceGroups/${encodeURIComponent(resourceGroup)}/providers/Microsoft.MachineLearningServices/workspaces?api-version=2024-04-01`, signal),
};
