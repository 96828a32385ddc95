import { readFileSync } from "node:fs";
import { Command } from "commander";
import { parseRunUrl, readRunFailure } from "../clients/run-failure.js";
import { assistantPrompt, explain, type ExplainContext, type Explanation } from "../doctor/explain.js";
import { UnknownScheme } from "../doctor/pasted-log.js";
import { explainRun, runText } from "../doctor/run-failure.js";
import { openInstance } from "./instance.js";
import { UsageError } from "./exit.js";

interface ExplainFlags {
  file?: string;
  log?: string;
  run?: string;
  task?: string;
  scheme?: string;
  pat?: string;
  data?: string;
  json?: boolean;
  prompt?: boolean;
}

/** Exit codes: 0 diagnosed, 2 not recognised or no failure found (1 is left for failures of the command itself). */
export function explainCommand(): Command {
  return new Command("explain")
    .description("Explain a pasted error or log: root cause, fix and how to verify (text as argument, --file/--log, --run, or standard input)")
    .argument("[text...]", "the error text")
    .option("--file <file>", "read the error from a file")
    .option("--log <file>", "read a whole task or job log from a file (its error lines, task and version are read)")
    .option("--run <url>", "explain a failed run: its page URL, …/{project}/_build/results?buildId=N, on Azure DevOps or svcconn")
    .option("--task <task>", "the task that printed it, as Name@major or Name@major.minor.patch (AzureCLI@2.208.0)")
    .option("--scheme <scheme>", "the connection's scheme: secret, certificate, workload-identity-federation or managed-identity")
    .option("--pat <token>", "with --run: a personal access token (default: AZURE_DEVOPS_EXT_PAT, or the svcconn on --data)")
    .option("--data <dir>", "with --run: data folder of a running svcconn (default ./.svcconn; env SVCCONN_DATA)")
    .option("--json", "print the explanation as JSON")
    .option("--prompt", "print a prompt for an AI assistant holding the error, the diagnosis and the identifiers found")
    .action(async (words: string[], flags: ExplainFlags) => {
      const context: ExplainContext = { task: flags.task, scheme: flags.scheme };
      let text = words.join(" ");
      let read: () => Explanation;
      if (flags.run) {
        const { failure, text: runText } = await readRun(flags);
        text = runText;
        read = () => explainRun(failure, context);
      } else {
        if (flags.file || flags.log) text = readFileSync((flags.file ?? flags.log)!, "utf8");
        else if (!text) text = await readStdin();
        if (!text.trim()) throw new UsageError("no error text: pass it as an argument, with --file or --log, on standard input, or name a run with --run");
        read = () => explain(text, context);
      }
      const result = explained(read);
      if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else if (flags.prompt) process.stdout.write(assistantPrompt(text, result));
      else process.stdout.write(explanationText(result));
      process.exitCode = result.rootCauseClass === null ? 2 : 0;
    });
}

/** A run's failure, read with the token given, from the environment, or of the svcconn on the data folder. */
async function readRun(flags: ExplainFlags) {
  const { organizationUrl, project, runId } = runUrl(flags.run!);
  const { instance } = flags.pat || process.env.AZURE_DEVOPS_EXT_PAT ? { instance: undefined } : openInstance({ data: flags.data });
  const pat = flags.pat ?? process.env.AZURE_DEVOPS_EXT_PAT ?? instance?.pat ?? undefined;
  if (!pat) throw new UsageError("no personal access token for --run: pass --pat or set AZURE_DEVOPS_EXT_PAT");
  const failure = await readRunFailure({ organizationUrl, pat, caFile: instance?.caFile ?? undefined }, project, runId);
  return { failure, text: runText(failure) };
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function explanationText(result: Explanation): string {
  const lines: string[] = [];
  lines.push(`${result.title}  [${result.id}, confidence ${result.confidence.toFixed(2)}]`, "");
  if (result.context?.task) lines.push(`Task: ${result.context.task}${result.context.taskSchemes ? ` (supports: ${result.context.taskSchemes.join(", ")})` : ""}${result.context.scheme ? `; connection scheme: ${result.context.scheme}` : ""}`, "");
  else if (result.context?.scheme) lines.push(`Connection scheme: ${result.context.scheme}`, "");
  if (result.rootCauseClass === "other") lines.push("This is not a service connection problem: no change to the connection will fix it.", "");
  if (result.uncertain) {
    lines.push("Uncertain: the text does not settle it. Likeliest:", ...result.uncertain.candidates.map((c) => `  - ${c.title} [${c.id}, ${c.confidence.toFixed(2)}]`), `To decide: ${result.uncertain.question}`, "");
  }
  if (result.undecided) {
    lines.push(`Cannot decide from the text alone: ${result.undecided.reason}`, "Check:", ...result.undecided.checks.map((c) => `  - ${c}`), "");
  }
  lines.push("Cause:", `  ${result.cause}`, "", "Fix:");
  for (const [i, step] of result.fix.entries()) lines.push(`  ${i + 1}. ${step}`);
  lines.push("", "Verify:");
  for (const [i, step] of result.verify.entries()) lines.push(`  ${i + 1}. ${step}`);
  const entities = Object.entries(result.entities);
  if (entities.length) lines.push("", "Found in the error:", ...entities.map(([k, v]) => `  ${k}: ${v}`));
  if (result.alternatives.length) {
    lines.push("", "Other possible causes:", ...result.alternatives.map((a) => `  - ${a.title} [${a.id}, ${a.confidence.toFixed(2)}]`));
  }
  lines.push("", "References:", ...result.references.map((r) => `  ${r}`));
  return `${lines.join("\n")}\n`;
}

function runUrl(url: string): ReturnType<typeof parseRunUrl> {
  try {
    return parseRunUrl(url);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** An explanation; a `--scheme` svcconn does not know is a usage error. */
function explained(read: () => Explanation): Explanation {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnknownScheme) throw new UsageError(error.message);
    throw error;
  }
}
