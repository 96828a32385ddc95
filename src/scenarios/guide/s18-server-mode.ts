import type { Scenario } from "../scenario.js";
import { ADMIN, PRODUCTION, ready, refusal } from "./shared.js";

export const S18: Scenario = {
  id: "S18",
  title: "Azure DevOps Server 2022: workload identity federation is not available",
  world: "s18-server-mode.yaml",
  diagnosis: "scheme-unsupported-on-server",
  steps: (w) => ({
    given: [],
    fails: {
      says: "The administrator creates an automatic workload identity connection on Azure DevOps Server",
      run: async () => ({ message: await refusal(async () => (await w.endpointsAs(ADMIN)).createServiceEndpoint(w.automatic("production", w.subscription(PRODUCTION)))) }),
    },
    fix: [{ says: "The administrator chooses Service principal (automatic), a scheme Server supports", run: async () => "scheme: ServicePrincipal" }],
    succeeds: { says: "The administrator creates the connection with that scheme", run: async () => ready(await w.create(ADMIN, w.automatic("production", w.subscription(PRODUCTION), "ServicePrincipal"))) },
  }),
};
