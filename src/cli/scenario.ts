import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { scenarioById, SCENARIOS } from "../scenarios/index.js";
import { runScenario, type Scenario, type ScenarioResult, type StepRecord } from "../scenarios/scenario.js";
import { ScenarioWorld } from "../scenarios/scenario-world.js";
import { startServer } from "../server/start.js";
import { ensureCa } from "../server/tls.js";
import { readWorld } from "../world/load.js";
import { UsageError } from "./exit.js";

/** The package's scenarios/ folder (beside dist/ and src/). */
export const SCENARIO_FOLDER = fileURLToPath(new URL("../../scenarios/", import.meta.url));

const LABEL: Record<StepRecord["phase"], string> = { given: "given", fails: "fails", explain: "explain", fix: "fix", succeeds: "works" };

export function scenarioCommand(): Command {
  const command = new Command("scenario").description("The troubleshooting guide's situations, each played end to end on its own world (scenarios/)");
  command
    .command("list")
    .description("List the scenarios: the guide's id, what goes wrong, the world file")
    .option("--json", "print them as JSON")
    .action((flags: { json?: boolean }) => {
      const rows = SCENARIOS.map((s) => ({ id: s.id, title: s.title, world: `scenarios/${s.world}`, diagnosis: s.diagnosis }));
      process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : rows.map((r) => `${r.id.padEnd(4)} ${r.title}\n     ${r.world}\n`).join(""));
    });
  command
    .command("run <ids...>")
    .description("Play scenarios (S9, or all): reproduce the failure with the official clients, explain it, apply the fix, show the action succeeding")
    .option("--json", "print the results as JSON")
    .option("--data <dir>", "where the scenarios' svcconn keeps its stores and CA (default: a new temporary folder, removed after)")
    .action(async (ids: string[], flags: { json?: boolean; data?: string }) => {
      const chosen = ids.some((id) => id.toLowerCase() === "all") ? [...SCENARIOS] : ids.map(pickScenario);
      const data = flags.data ? resolve(flags.data) : mkdtempSync(join(tmpdir(), "svcconn-scenario-"));
      try {
        const { caFile } = await ensureCa(join(data, "tls"));
        // The official clients read the CA they trust when the process starts: run again trusting this one.
        if (resolve(process.env.NODE_EXTRA_CA_CERTS ?? "") !== caFile) {
          const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, "scenario", "run", ...ids, "--data", data, ...(flags.json ? ["--json"] : [])], {
            stdio: "inherit",
            env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
          });
          process.exitCode = child.status ?? 2;
          return;
        }
        const results: ScenarioResult[] = [];
        for (const scenario of chosen) results.push(await play(scenario, data, !flags.json));
        if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        process.exitCode = results.every((r) => r.passed) ? 0 : 1;
      } finally {
        if (!flags.data) rmSync(data, { recursive: true, force: true });
      }
    });
  return command;
}

function pickScenario(id: string): Scenario {
  const found = scenarioById(id);
  if (!found) throw new UsageError(`no scenario '${id}': ${SCENARIOS.map((s) => s.id).join(", ")} (svcconn scenario list)`);
  return found;
}

/** One scenario on a svcconn of its own (new store, its world), stopped afterwards. */
async function play(scenario: Scenario, data: string, print: boolean): Promise<ScenarioResult> {
  const worldFile = join(SCENARIO_FOLDER, scenario.world);
  const folder = join(data, scenario.id.toLowerCase());
  mkdirSync(join(folder, "work"), { recursive: true });
  if (print) process.stdout.write(`${scenario.id} — ${scenario.title}\n  world    scenarios/${scenario.world}\n`);
  const server = await startServer({ dataDir: join(folder, "svcconn"), world: worldFile, ports: "auto", caDir: join(data, "tls"), adminKey: randomBytes(16).toString("hex"), logLevel: "silent" });
  try {
    const result = await runScenario(scenario, new ScenarioWorld(server, readWorld(worldFile)), join(folder, "work"), print ? printStep : undefined);
    if (print) process.stdout.write(`${result.passed ? "passed" : "FAILED"}\n\n`);
    return result;
  } finally {
    await server.close();
  }
}

function printStep(step: StepRecord): void {
  const saw = step.saw.length > 600 ? `${step.saw.slice(0, 600)}…` : step.saw;
  const indented = saw.split("\n").slice(0, 8).join("\n           ");
  process.stdout.write(`  ${LABEL[step.phase].padEnd(8)} ${step.says}\n           ${step.ok ? "" : "✗ "}${indented}\n`);
}
