import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SCENARIO_FOLDER } from "../../src/cli/scenario.js";
import { SCENARIOS } from "../../src/scenarios/index.js";
import { runScenario } from "../../src/scenarios/scenario.js";
import { ScenarioWorld } from "../../src/scenarios/scenario-world.js";
import { readWorld } from "../../src/world/load.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { testServer } from "../helpers/runtime.js";

// SPEC B6: each situation of the guide that can fail, played on its own world through the official clients — the
// failure with the service's own text, explain naming the guide's cause, the fix, and the action then succeeding.
const FAILURE_TEXT: Record<string, RegExp> = {
  S2: /^You do not have permission to create a service connection\. You need to be a Creator/,
  S3: /The user has only guest permission in the directory/,
  S4: /Insufficient privileges to complete the operation in Microsoft Graph/,
  S5: /^Failed to obtain an access token\. A valid refresh token wasn't found/,
  S6: /^You don't appear to have an active Azure subscription\.$/,
  S7: /^Failed to assign Contributor role\. .*AuthorizationFailed: .*'Microsoft\.Authorization\/roleAssignments\/write'/,
  S8: /Contoso Production is not listed .* only Contoso Development\.$/,
  S9: /AADSTS7000222: The provided client secret keys for app '[0-9a-f-]{36}' are expired/,
  S10: /AADSTS700016: Application with identifier '[0-9a-f-]{36}' was not found in the directory 'Contoso'/,
  "S10-disabled": /AADSTS7000112: Application '[0-9a-f-]{36}'\(.*\) is disabled\./,
  S11: /^The pipeline is not valid\. Job Job: Step input azureResourceManagerConnection references service connection \$\(connection\) which could not be found\./,
  S12: /Could not fetch access token for Managed Service Principal/,
  S13: /AuthorizationFailed.*does not have authorization to perform action 'Microsoft\.Resources\/deployments\/(write|validate\/action)' over scope '\/subscriptions\/[0-9a-f-]{36}\/resourcegroups\/rg-web/is,
  S14: /^The pipeline is not valid\. Job Job: Step input azureResourceManagerConnection references service connection production which could not be found/,
  S15: /AADSTS7000215: Invalid client secret provided/,
  S16: /Failed to remove the service principal from Microsoft Entra ID/,
  S18: /not supported on Azure DevOps Server/,
  S19: /AADSTS700213: No matching federated identity record found for presented assertion subject 'sc:\/\/contoso\/storefront\/deploy'/,
};

describe("the guide as scenarios", () => {
  it("has one per situation that can fail, each with its world file and the text it fails with", () => {
    expect(SCENARIOS.map((s) => s.id)).toEqual(Object.keys(FAILURE_TEXT));
    for (const scenario of SCENARIOS) expect(() => readWorld(join(SCENARIO_FOLDER, scenario.world))).not.toThrow();
  });

  it.each(SCENARIOS.map((s) => [s.id, s] as const))("%s fails as the guide says, is explained, and the fix makes it work", async (_id, scenario) => {
    const worldFile = join(SCENARIO_FOLDER, scenario.world);
    const server = await testServer({ world: worldFile });
    try {
      const result = await runScenario(scenario, new ScenarioWorld(server, readWorld(worldFile)), mkdtempSync(join(tmpdir(), "svcconn-scenario-test-")));
      expect(result.steps.filter((s) => !s.ok)).toEqual([]);
      expect(result.failure).toMatch(FAILURE_TEXT[scenario.id]!);
      expect(result.explanation).toMatchObject({ id: scenario.diagnosis, rootCauseClass: expect.any(String) });
      expect(result.steps.map((s) => s.phase).filter((p, i, all) => p !== all[i - 1])).toEqual([...(result.steps[0]!.phase === "given" ? ["given"] : []), "fails", "explain", ...(result.steps.some((s) => s.phase === "fix") ? ["fix"] : []), "succeeds"]);
      expect(result).toMatchObject({ explained: true, passed: true });
    } finally {
      await server.close();
    }
  });
});
