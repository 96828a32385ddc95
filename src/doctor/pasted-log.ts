import { type ConnectionScheme, type SchemeSupport, schemeSupport, taskMentioned, taskNamed } from "../core/tasks/schemes.js";

/**
 * What a pasted text is before any diagnosis reads it: one error message, or a log (many lines, timestamps,
 * `##[debug]` noise, a task's header). A log's diagnosis reads its error lines and what leads up to them; its header
 * names the task and version, which decide some causes; a log with no failure in it has nothing to diagnose.
 */
export interface PastedText {
  /** What the diagnosis reads: the failing lines and the lines before each, or the whole text if nothing is marked. */
  focus: string;
  /** Several lines with a log's marks (timestamps, `##[section]`, a task header). */
  isLog: boolean;
  /** Something in it reads as a failure (always true for a text that is not a log). */
  failed: boolean;
  task?: TaskInLog;
  /** The connection's scheme as the log shows it (a federated token passed to az login, …). */
  scheme?: ConnectionScheme;
}

export interface TaskInLog {
  /** As the log names it: `AzureCLI@2`, or `Azure CLI 2.208.0` from the header. */
  named: string;
  version?: string;
  /** The schemes the version supports; absent when svcconn does not know the task's code. */
  support?: SchemeSupport;
}

/** A pasted log is read from its end, as far back as this (the failure is at the end; the budget bounds the work). */
const MAX_CHARS = 2_000_000;
/**
 * Lines kept before each failing line, back to the command that printed them: a tool's own message (az's `ERROR:
 * AADSTS…` and its trace lines) comes before the task's `##[error]` summary.
 */
const LEADING_LINES = 40;
/** A multi-line `##[error]` message goes on, unmarked, on the lines after it (a service's refusal with its details). */
const CONTINUATION_LINES = 20;

const TIMESTAMP = /^\uFEFF?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?\s?/;
/** A line that says something failed (on a log's own lines: `[command]` lines and the header are not read). */
const FAILURE =
  /##\[error\]|\b(?:error|exception|fatal|failed|failure|denied|forbidden|unauthori[sz]ed|not found|invalid|expired|unable to|could not|cannot|can't|refused|timed out|aadsts\d+)\b|\b(?:status(?:code)?[=: ]+)?[45]\d\d\b.{0,20}(?:forbidden|unauthori|not found|bad request|conflict|error)/i;
const HEADER = /^(?:task|description|version|author|help)\s+:\s/i;
const COMMAND = /^(?:##)?\[command\]/;

/**
 * A step's summary of its own failure ("Bash exited with code '1'.", "Script failed with exit code: 1"): it names no
 * cause, and beside the lines that do its words only add noise.
 */
const SUMMARY =
  /^(?:##\[error\])?\s*(?:error: )?(?:script failed with exit code:? ?-?\d+|(?:bash|powershell|pwsh|cmd(?:\.exe)?|sh|python) exited with code '?-?\d+'?|process completed with exit code -?\d+|the process '[^']+' failed with exit code -?\d+|(?:the )?\w+ command '?[\w -]*'? failed with exit code '?-?\d+'?|error code: \[\d+\]|the (?:stage|job) '[^']*' failed\.(?: see the job logs for the first error)?|the job failed with result: \w+\.?(?: \d+ error\(s\), \d+ warning\(s\))?)\.?\s*$/i;

/** Whether a text says something failed (an error, a refusal, a status), not merely that a step exited. */
export const readsAsFailure = (text: string): boolean => FAILURE.test(text) && !onlySummaries(text);

/** Whether a text is nothing but such summaries: what failed is in the lines before, which it does not have. */
const onlySummaries = (text: string): boolean => text.split("\n").every((line) => !line.trim() || SUMMARY.test(line.replace(TIMESTAMP, "")));

/**
 * What tools print around a message: PowerShell 7 wraps it on `     | ` lines under the failing script line (`Line
 * |`, `  12 |  code`, `     |  ~~~~`), Windows PowerShell adds `At …:12 char:1` and `+ code` lines, Terraform draws a
 * box (`╷ │ ╵`) with the resource and source line it was evaluating; stack traces (Python's `File "…", line N`, .NET's,
 * Node's and Java's `at …(…)`) and an SDK exception's `Headers:` block follow it. The frame's words (a script's path,
 * a resource's type, a cache header) are no evidence, and its line breaks cut the message's phrases apart. A message
 * quoted in Markdown (`> `) is read without its marks.
 */
const DECORATED = /^>|[│╷╵]|^\S*\s*\|\s|\bLine \||\bAt (?:line:\d+|\S+:\d+) char:\d+|^\S*\+ |^\s+at \S|^\s*File "|Traceback \(most|^Headers:/m;
const FRAME = [
  /^\s*[╷╵]\s*$/, // Terraform's box ends
  /^Line \|\s*$/, // PowerShell 7: the failing line's header,
  /^\s*\d+ \| /, // the script line,
  /^\s*\|\s*~+\s*$/, // and its underline
  /^At (?:line:\d+|\S+:\d+) char:\d+\s*$/, // Windows PowerShell: where,
  /^\+ (?!\s*(?:CategoryInfo|FullyQualifiedErrorId)\b)/, // the script line and its underline
  /^\s*with [^,]+,\s*$/, // Terraform: the resource evaluated,
  /^\s*on \S+ line \d+(?:, in [^:]+)?:\s*$/, // where,
  /^\s*\d+: /, // and the source line
  /^Traceback \(most recent call last\):\s*$/, // Python: the trace's header and its frames
  /^\s*--- End of (?:inner exception )?stack trace/,
];
/** A .NET, Java or Node stack frame: `at` a name, its arguments or place, maybe its file (each part read once, no backtracking). */
const STACK_FRAME = /^\s+at (?:async )?([^\s(]+)(?: ?\(([^()]*)\))?(?: in \S.*:line \d+)?\s*$/;
/** A frame's name is qualified (`Azure.Core.X.Send`, a path) or its place has a line (`(node:internal/…:95:5)`). */
function isStackFrame(line: string): boolean {
  const frame = STACK_FRAME.exec(line);
  return !!frame && (/[.:/]/.test(frame[1]!) || /:\d|native|<anonymous>/.test(frame[2] ?? ""));
}
/**
 * The lines a frame opens, what goes on in it and what of that is kept: a Python frame's code line; an exception's
 * response headers, of which only those a diagnosis reads (a throttling's Retry-After, a token's refusal).
 */
const BLOCKS: Array<{ opens: RegExp; holds: RegExp; keeps?: RegExp }> = [
  { opens: /^\s*File "[^"]+", line \d+/, holds: /^\s{4,}\S/ },
  { opens: /^Headers:\s*$/, holds: /^\s*[\w-]+:\s/, keeps: /^\s*(?:Retry-After|WWW-Authenticate):/i },
];

/** Whether a frame may be there: plain substring tests first, as most texts have none and the pattern costs more. */
const mayBeDecorated = (text: string) =>
  text.includes("|") || text.includes("│") || text.includes("╷") || text.includes("\n ") || text.includes("\n+") || text.includes(" char:") || text.includes("Traceback") || text.includes("Headers:") || text.includes('File "') || text.startsWith(">") || text.includes("\n>");

export function withoutDecorations(text: string): string {
  if (!mayBeDecorated(text) || !DECORATED.test(text)) return text;
  const out: string[] = [];
  let block: (typeof BLOCKS)[number] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    // A quote's marks (a message pasted into a GitHub issue or a forum as `> …`) go first.
    const unmarked = raw.replace(/^(?:> ?)+/, "").replace(TIMESTAMP, "").replace(/^##\[error\]/i, "").replace(/^(\s*)│ ?/, "$1");
    // PowerShell 7 names the failing script after the command: `Get-AzThing: /home/…/deploy.ps1:12`.
    const line = unmarked.includes(".ps1:") ? unmarked.replace(/(^|[\s"'])([\w-]+): (?:\/|[A-Za-z]:\\)\S+\.ps1:\d+$/, "$1$2:") : unmarked;
    if (block?.holds.test(line)) {
      if (block.keeps?.test(line)) out.push(line);
      continue;
    }
    block = BLOCKS.find((b) => b.opens.test(line));
    if (block || FRAME.some((frame) => frame.test(line)) || isStackFrame(line)) continue;
    const continued = /^\s+\| ?(.*)$/.exec(line);
    // PowerShell 7 wraps the message itself: its pieces are one sentence again.
    if (continued && out.length) out[out.length - 1] = `${out.at(-1)} ${continued[1]}`;
    else out.push(continued ? continued[1]! : line);
  }
  return out.join("\n");
}

/** What a diagnosis reads of a message or a log's failing lines: no frame around it, no step's summary beside it. */
const readable = (text: string) => withoutSummaries(withoutDecorations(text));

/** The text without its summary lines, unless they are all it has. */
function withoutSummaries(text: string): string {
  if (!text.includes("\n") || !/exit|error code/i.test(text)) return text;
  const lines = text.split("\n");
  const telling = lines.filter((line) => !SUMMARY.test(line.replace(TIMESTAMP, "")));
  return telling.some((line) => line.trim()) && telling.length < lines.length ? telling.join("\n") : text;
}

export function readPasted(pasted: string, given: { task?: string; scheme?: string } = {}): PastedText {
  const text = pasted.length > MAX_CHARS ? pasted.slice(pasted.length - MAX_CHARS) : pasted;
  // Most pastes are a message of a few lines: read as one, without the per-line work.
  if (!hasLines(text, 5)) return { focus: readable(text), isLog: false, failed: true, task: taskIn([text], given.task), scheme: schemeNamed(given.scheme) ?? schemeIn([text]) };
  const raw = text.split(/\r?\n/);
  const stamped = raw.slice(0, 200).filter((line) => TIMESTAMP.test(line)).length;
  const lines = raw.map((line) => line.replace(TIMESTAMP, ""));
  const marked = lines.some((line) => line.startsWith("##[section]") || HEADER.test(line));
  const isLog = lines.length >= 5 && (marked || stamped >= 3);
  const step = failedStep(lines);
  const task = taskIn(step, given.task);
  // The failed step's sign-in first; another step of the job most often signed in with the same connection.
  const scheme = schemeNamed(given.scheme) ?? schemeIn(step) ?? (step === lines ? undefined : schemeIn(lines));
  if (!isLog) return { focus: readable(text), isLog, failed: true, task, scheme };

  const kept = lines.filter((line) => !/^##\[(?:debug|section|group|endgroup)\]/i.test(line) && !HEADER.test(line) && !/^=+$/.test(line.trim()));
  const focus = failingLines(kept);
  return { focus: readable(focus), isLog, failed: focus !== "", task, scheme };
}

/**
 * The lines of the step that failed first, in a log of a whole job (`##[section]Starting: …` per step): its header
 * names the task and version, and how it signed in the scheme — not the first step's. The whole text otherwise.
 */
function failedStep(lines: string[]): string[] {
  const failed = lines.findIndex((line) => /^##\[error\]/i.test(line));
  if (failed < 0) return lines;
  let start = failed;
  while (start > 0 && !lines[start]!.startsWith("##[section]Starting:")) start--;
  return start > 0 ? lines.slice(start, failed + 1) : lines;
}

/**
 * A log's failing lines (its `##[error]` lines, or else the lines that read as failures), each with what the command
 * printed before it; "" when nothing failed.
 */
function failingLines(kept: string[]): string {
  const errors = kept.map((line, i) => (/^##\[error\]/i.test(line) ? i : -1)).filter((i) => i >= 0);
  const failing = errors.length ? errors : kept.map((line, i) => (!COMMAND.test(line) && FAILURE.test(line) ? i : -1)).filter((i) => i >= 0);
  const chosen = new Set<number>();
  for (const i of failing) {
    for (let k = i; k >= Math.max(0, i - LEADING_LINES) && !(k < i && (chosen.has(k) || COMMAND.test(kept[k]!))); k--) chosen.add(k);
    if (errors.length) for (let k = i + 1; k <= i + CONTINUATION_LINES && k < kept.length && !/^##\[|^\[command\]/.test(kept[k]!); k++) chosen.add(k);
  }
  return [...chosen]
    .sort((a, b) => a - b)
    .map((i) => kept[i]!)
    .join("\n");
}

function hasLines(text: string, count: number): boolean {
  let seen = 0;
  for (let i = text.indexOf("\n"); i >= 0 && seen < count - 1; i = text.indexOf("\n", i + 1)) seen++;
  return seen >= count - 1;
}

/** The task: as given (`--task AzureCLI@2.208.0`), from the agent's header, or a `Name@major` the text names. */
function taskIn(lines: string[], given?: string): TaskInLog | undefined {
  const reference = given ?? lines.map((line) => (line.includes("@") ? /\b([A-Z][A-Za-z0-9]+@\d+(?:\.\d+\.\d+)?)\b/.exec(line)?.[1] : undefined)).find(Boolean);
  if (reference) {
    const [name, version = ""] = reference.split("@");
    const [major, minor] = version.split(".").map(Number);
    const facts = major === undefined || Number.isNaN(major) ? undefined : taskNamed({ name, major });
    if (facts || given) return { named: reference, version: version.includes(".") ? version : undefined, support: facts && schemeSupport(facts, minor) };
  }
  if (lines.length < 5) return undefined;
  const friendlyName = lines.map((line) => /^Task\s+:\s+(.+?)\s*$/i.exec(line)?.[1]).find(Boolean);
  const version = lines.map((line) => /^Version\s+:\s+(\d+)\.(\d+)\.(\d+)/i.exec(line)).find(Boolean);
  if (!friendlyName || !version) return undefined;
  const facts = taskNamed({ friendlyName, major: Number(version[1]) });
  const written = `${version[1]}.${version[2]}.${version[3]}`;
  return { named: `${friendlyName} ${written}`, version: written, support: facts && schemeSupport(facts, Number(version[2])) };
}

/**
 * A task the text names without its version (`TerraformTaskV3 fails at init`): looked for only when the task's
 * support could matter (a credential failure), as it means matching every task's name.
 */
export function taskMentionedIn(text: string): TaskInLog | undefined {
  const found = taskMentioned(text);
  return found && { named: found.written, support: schemeSupport(found.facts) };
}

/** A scheme given by a name svcconn does not know (the caller's mistake, said as such). */
export class UnknownScheme extends Error {}

/** `--scheme` in any of the names people use for it. */
function schemeNamed(given?: string): ConnectionScheme | undefined {
  const s = given?.toLowerCase().replace(/[^a-z]/g, "");
  if (!s) return undefined;
  if (/^(?:wif|workloadidentity(?:federation)?|federation|oidc)$/.test(s)) return "federation";
  if (/^(?:managedidentity|managedserviceidentity|msi)$/.test(s)) return "managedIdentity";
  if (/certificate|spncertificate|cert/.test(s)) return "certificate";
  if (/^(?:secret|serviceprincipal|spnkey|clientsecret|spn)$/.test(s)) return "secret";
  throw new UnknownScheme(`unknown scheme '${given}': use secret, certificate, workload-identity-federation or managed-identity`);
}

/** What the log shows of the scheme: how the task signed in. */
function schemeIn(lines: string[]): ConnectionScheme | undefined {
  for (const line of lines) {
    if (!/federat|oidc|scheme|identity|certificate|spncert|wif|password/i.test(line)) continue;
    if (/--federated-token|auth(?:entication)? scheme[: ]+workloadidentityfederation|ARM_USE_OIDC|-backend-config=use_oidc=true/i.test(line) || /(?:^|\s)-FederatedToken\b/.test(line)) return "federation";
    if (/auth(?:entication)? scheme[: ]+managedserviceidentity|az login --identity/i.test(line) || /(?:^|\s)-Identity\b/.test(line)) return "managedIdentity";
    if (/az login .{0,120}--certificate\b|-CertificateThumbprint\b|spnCertificate|connection (?:now )?(?:uses|with|to|authenticat\w* with) (?:a )?certificate|certificate(?:-based| based)? (?:service )?connection/i.test(line)) return "certificate";
    if (/az login --service-principal\b(?!.*--federated-token).*(?:--password[= ]|\s-p\s)/i.test(line)) return "secret";
    if (/connection (?:uses|with) (?:workload identity federation|a federated credential)|(?:wif|workload identity federation|federated) (?:service )?connection/i.test(line)) return "federation";
  }
  return undefined;
}
