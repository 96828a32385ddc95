import type { Scenario } from "../scenario.js";
import { ADMIN, PRODUCTION, ready, refusal, RILEY } from "./shared.js";

export const S2: Scenario = {
  id: "S2",
  title: "Who may create: a Reader of the project cannot create a connection",
  world: "s02-who-may-create.yaml",
  diagnosis: "endpoint-creator-role-missing",
  steps: (w) => {
    const connection = () => w.automatic("riley-production", w.subscription(PRODUCTION));
    return {
      given: [],
      fails: { says: "Riley, a Reader of the project, creates an automatic connection", run: async () => ({ message: await refusal(async () => (await w.endpointsAs(RILEY)).createServiceEndpoint(connection())) }) },
      fix: [
        {
          says: "The project administrator gives Riley the Creator role (Project settings → Service connections → Security → + Add)",
          run: async () => {
            await w.setProjectRole(ADMIN, RILEY, "Creator");
            return "Riley is Creator on the project's service connections";
          },
        },
      ],
      succeeds: { says: "Riley creates the connection again", run: async () => ready(await w.create(RILEY, connection())) },
    };
  },
};
