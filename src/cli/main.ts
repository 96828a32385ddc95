#!/usr/bin/env node
import { Command } from "commander";
import { SVCCONN_VERSION } from "../core/version.js";
import { exitCodeOf } from "./exit.js";

/**
 * Each command's module, loaded only when it runs: `svcconn serve` need not load the SDKs `doctor` and `scenario`
 * drive, nor they the server. Help (no command, or one svcconn does not know) loads them all to list them.
 */
const COMMANDS: Record<string, () => Promise<Command[]>> = {
  serve: async () => [(await import("./serve.js")).serveCommand()],
  world: async () => [(await import("./world.js")).worldCommand()],
  explain: async () => [(await import("./explain.js")).explainCommand()],
  doctor: async () => [(await import("./doctor.js")).doctorCommand()],
  pipeline: async () => [(await import("./pipeline.js")).pipelineCommand()],
  scenario: async () => [(await import("./scenario.js")).scenarioCommand()],
  login: async () => [(await import("./login.js")).loginCommand()],
  logout: async () => [(await import("./login.js")).logoutCommand()],
  clock: async () => [(await import("./clock.js")).clockCommand()],
  env: async () => [(await import("./env.js")).envCommand()],
  exec: async () => [(await import("./env.js")).execCommand()],
};

const program = new Command();
program
  .name("svcconn")
  .description("A local Entra ID, Azure Resource Manager and Azure DevOps for Azure Resource Manager service connections, and a doctor for them.")
  .version(SVCCONN_VERSION, "-V, --version", "print svcconn's version")
  .showHelpAfterError();

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const named = args.find((a) => !a.startsWith("-"));
  const versionOnly = !named && args.some((a) => a === "-V" || a === "--version");
  const loading = named && COMMANDS[named] ? [named] : versionOnly ? [] : Object.keys(COMMANDS);
  for (const name of loading) for (const command of await COMMANDS[name]!()) program.addCommand(command);
  // Commander's usage errors (an unknown option, a missing argument) end with svcconn's usage code, 2.
  throwInstead(program);
  await program.parseAsync(process.argv);
}

function throwInstead(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) throwInstead(sub);
}

main().catch((error: unknown) => {
  // Commander has printed its own message (and help or version, which end with 0).
  if (!(error instanceof Error && error.name === "CommanderError")) process.stderr.write(`svcconn: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(exitCodeOf(error));
});
