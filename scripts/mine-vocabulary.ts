/**
 * Regenerates src/doctor/vocabulary.json: error and status texts mined from the real sources at hand, so the
 * explainer learns the words tools use rather than only the words of its own corpus.
 *
 *   node --import tsx scripts/mine-vocabulary.ts [--arm-rest DIR]
 *
 * Sources (each skipped with a note when absent): the resource strings of `azure-pipelines-task-lib` (lib.json) and
 * of `azure-pipelines-tasks-azure-arm-rest` (module.json; not a dependency: `npm pack
 * azure-pipelines-tasks-azure-arm-rest` and pass the unpacked `package` folder as --arm-rest), the error texts of
 * `@azure/identity` and `@azure/msal-common`/`@azure/msal-node`, the Debian `azure-cli` and `python3-azure`
 * sources, the AADSTS and pipeline texts in ../shared/reference/, and the texts svcconn itself emits. Only texts
 * about identity, tokens, connections and permissions are kept; the output is sorted so diffs stay reviewable.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

interface Mined {
  source: string;
  text: string;
}

const ROOT = process.cwd();
const argument = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

/** Words that make a text worth learning from: it speaks of identities, tokens, connections or rights. */
const RELEVANT = /token|credential|secret|certificate|tenant|subscription|authori[sz]|authenticat|identity|principal|endpoint|service connection|federat|assertion|expired|permission|\brole\b|scope|log ?in|sign-?in|application|directory|consent|managed|aadsts|msi\b|imds|oidc|pipeline/i;

function keep(text: string): boolean {
  const words = text.split(/\s+/).filter((w) => /[a-z]{2}/i.test(w));
  return text.length >= 24 && text.length <= 600 && words.length >= 4 && RELEVANT.test(text);
}

function files(dir: string, pattern: RegExp, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) {
      if (!["node_modules", "test", "tests", "__pycache__", "browser"].includes(name)) files(path, pattern, out);
    } else if (pattern.test(name)) out.push(path);
  }
  return out;
}

/** String literals of a JavaScript or Python file; `${…}` and `%s`-style holes become `%s`. */
function literals(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/"((?:[^"\\\n]|\\.){20,600})"|'((?:[^'\\\n]|\\.){20,600})'|`((?:[^`\\]|\\.){20,600})`/g)) {
    const raw = m[1] ?? m[2] ?? m[3] ?? "";
    out.push(raw.replace(/\$\{[^}]*\}/g, "%s").replace(/\{[a-z_0-9]*\}/gi, "%s").replace(/\\n/g, " ").replace(/\\(["'`])/g, "$1").replace(/\s+/g, " ").trim());
  }
  return out;
}

const mined: Mined[] = [];
const notes: string[] = [];
const add = (source: string, text: string) => {
  if (keep(text)) mined.push({ source, text });
};

function resourceStrings(name: string, path: string | undefined): void {
  if (!path || !existsSync(path)) return void notes.push(`${name}: not found, skipped`);
  const doc = JSON.parse(readFileSync(path, "utf8")) as { messages?: Record<string, string> };
  for (const [key, text] of Object.entries(doc.messages ?? {})) add(`${name}:${key}`, text);
}

function sourceFiles(name: string, dirs: string[], pattern: RegExp): void {
  const found = dirs.flatMap((d) => files(d, pattern));
  if (!found.length) return void notes.push(`${name}: not found, skipped`);
  for (const file of found) for (const text of literals(readFileSync(file, "utf8"))) add(`${name}:${relative(ROOT, file).replace(/^.*(node_modules|dist-packages)\//, "")}`, text);
}

// Pipeline task libraries.
resourceStrings("azure-pipelines-task-lib", join(ROOT, "node_modules/azure-pipelines-task-lib/lib.json"));
const armRest = argument("--arm-rest") ?? join(ROOT, "node_modules/azure-pipelines-tasks-azure-arm-rest");
resourceStrings("azure-pipelines-tasks-azure-arm-rest", join(armRest, "module.json"));

// SDKs in Node.
sourceFiles("@azure/identity", [join(ROOT, "node_modules/@azure/identity/dist/commonjs")], /\.js$/);
sourceFiles("@azure/msal-common", [join(ROOT, "node_modules/@azure/msal-common/dist/error")], /\.mjs$/);
sourceFiles("@azure/msal-node", [join(ROOT, "node_modules/@azure/msal-node/dist/error")], /\.mjs$/);

// The Debian Azure CLI and Python SDK.
const py = "/usr/lib/python3/dist-packages";
sourceFiles("azure-cli", [join(py, "azure/cli/core/auth"), join(py, "azure/cli/command_modules/profile"), join(py, "azure/cli/command_modules/role")], /\.py$/);
for (const f of ["_profile.py", "azclierror.py"].map((n) => join(py, "azure/cli/core", n))) if (existsSync(f)) for (const t of literals(readFileSync(f, "utf8"))) add(`azure-cli:${f.slice(py.length + 1)}`, t);
sourceFiles("python3-azure identity", [join(py, "azure/identity")], /\.py$/);
sourceFiles("python3-msal", [join(py, "msal")], /\.py$/);

// The reference: AADSTS tables and quoted texts.
for (const name of ["identity-arm-api.md", "pipelines.md", "devops-api.md"]) {
  const path = join(ROOT, "../shared/reference", name);
  if (!existsSync(path)) {
    notes.push(`reference ${name}: not found, skipped`);
    continue;
  }
  for (const m of readFileSync(path, "utf8").matchAll(/`([^`\n]{24,600})`/g)) add(`reference:${name}`, m[1]!);
}

// What svcconn itself emits.
sourceFiles("svcconn", [join(ROOT, "src/entra"), join(ROOT, "src/arm"), join(ROOT, "src/devops"), join(ROOT, "src/pipelines")], /errors\.ts$|create-workflow\.ts$|messages\.ts$/);

const unique = new Map<string, Mined>();
for (const m of mined) if (!unique.has(m.text)) unique.set(m.text, m);
const strings = [...unique.values()].sort((a, b) => a.source.localeCompare(b.source) || a.text.localeCompare(b.text));
const out = join(ROOT, "src/doctor/vocabulary.json");
writeFileSync(out, `${JSON.stringify({ generatedBy: "scripts/mine-vocabulary.ts", strings }, null, 1)}\n`);
console.log(`${strings.length} texts → ${relative(ROOT, out)}`);
for (const n of notes) console.log(`note: ${n}`);
const bySource = new Map<string, number>();
for (const s of strings) bySource.set(s.source.split(":")[0]!, (bySource.get(s.source.split(":")[0]!) ?? 0) + 1);
for (const [s, n] of bySource) console.log(`  ${String(n).padStart(5)} ${s}`);
