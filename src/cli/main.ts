#!/usr/bin/env node
import { Command } from "commander";
import { clockCommand } from "./clock.js";
import { envCommand, execCommand } from "./env.js";
import { doctorCommand } from "./doctor.js";
import { explainCommand } from "./explain.js";
import { loginCommand, logoutCommand } from "./login.js";
import { pipelineCommand } from "./pipeline.js";
import { scenarioCommand } from "./scenario.js";
import { serveCommand } from "./serve.js";
import { SVCCONN_VERSION } from "../core/version.js";
import { worldCommand } from "./world.js";

const program = new Command();
program
  .name("svcconn")
  .description("A local Entra ID, Azure Resource Manager and Azure DevOps for Azure Resource Manager service connections, and a doctor for them.")
  .version(SVCCONN_VERSION, "-V, --version", "print svcconn's version")
  .showHelpAfterError();
program.addCommand(serveCommand());
program.addCommand(worldCommand());
program.addCommand(explainCommand());
program.addCommand(doctorCommand());
program.addCommand(pipelineCommand());
program.addCommand(scenarioCommand());
program.addCommand(loginCommand());
program.addCommand(logoutCommand());
program.addCommand(clockCommand());
program.addCommand(envCommand());
program.addCommand(execCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`svcconn: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
