import { readFileSync } from "node:fs";
import { Command } from "commander";
import { assistantPrompt, explain, type Explanation } from "../doctor/explain.js";

/** Exit codes: 0 diagnosed, 2 not recognised (1 is left for failures of the command itself). */
export function explainCommand(): Command {
  return new Command("explain")
    .description("Explain a pasted error: root cause, fix and how to verify (text as argument, --file, or standard input)")
    .argument("[text...]", "the error text")
    .option("--file <file>", "read the error from a file")
    .option("--json", "print the explanation as JSON")
    .option("--prompt", "print a prompt for an AI assistant holding the error, the diagnosis and the identifiers found")
    .action(async (words: string[], flags: { file?: string; json?: boolean; prompt?: boolean }) => {
      let text = words.join(" ");
      if (flags.file) text = readFileSync(flags.file, "utf8");
      else if (!text) text = await readStdin();
      if (!text.trim()) throw new Error("no error text: pass it as an argument, with --file, or on standard input");
      const result = explain(text);
      if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else if (flags.prompt) process.stdout.write(assistantPrompt(text, result));
      else process.stdout.write(explanationText(result));
      process.exitCode = result.id === "unknown" ? 2 : 0;
    });
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
