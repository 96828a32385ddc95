import type { Scenario } from "../scenario.js";
import { ScenarioError, type ScenarioWorld } from "../scenario-world.js";
import { ADMIN, DANA, DEVELOPMENT, MINUTE, PRODUCTION } from "./shared.js";

/** The subscriptions the creation dialog's picker lists for Dana (the `azurermsubscriptions` endpoint proxy). */
async function listed(w: ScenarioWorld): Promise<string[]> {
  const answer = await (await w.endpointsAs(DANA)).getAzureSubscriptions();
  if (answer.errorMessage) throw new ScenarioError(answer.errorMessage);
  return (answer.value ?? []).map((s) => s.displayName ?? s.subscriptionId ?? "");
}

export const S8: Scenario = {
  id: "S8",
  title: "Subscription not listed: a subscription granted after the picker's list was cached",
  world: "s08-subscription-not-listed.yaml",
  diagnosis: "subscription-not-listed",
  steps: (w) => ({
    given: [
      { says: "Dana opens the New service connection dialog", run: async () => `the picker lists: ${(await listed(w)).join(", ")}` },
      {
        says: "The Owner gives Dana Reader on Contoso Production (the ARM SDK); five minutes pass",
        run: async () => {
          await w.assignRole(ADMIN, `/subscriptions/${w.subscription(PRODUCTION)}`, "Reader", await w.userId(DANA, ADMIN));
          await w.advance(5 * MINUTE + 1);
          return "Dana is Reader of Contoso Production";
        },
      },
    ],
    fails: {
      says: "Dana opens the dialog again and looks for Contoso Production",
      run: async () => {
        const names = await listed(w);
        if (names.includes(PRODUCTION)) throw new ScenarioError("Contoso Production is listed");
        // There is no error: what people write is the symptom.
        return { message: `The subscription ${PRODUCTION} is not listed in the subscription drop-down of the new Azure Resource Manager service connection; it shows only ${names.join(", ")}.` };
      },
    },
    fix: [
      {
        says: "Dana signs out and signs in again (the cached list belongs to the old session)",
        run: async () => {
          await w.signIn(DANA);
          return "signed in";
        },
      },
    ],
    succeeds: {
      says: "Dana opens the dialog again",
      run: async () => {
        const names = await listed(w);
        if (!names.includes(PRODUCTION) || !names.includes(DEVELOPMENT)) throw new ScenarioError(`the picker lists ${names.join(", ")}`);
        return `the picker lists: ${names.join(", ")}`;
      },
    },
  }),
};
