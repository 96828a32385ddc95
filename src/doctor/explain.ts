import { CATALOG, type Diagnosis } from "./catalog/index.js";
import { extractEntities, fill, type Entities } from "./entities.js";

export interface Explanation {
  id: string;
  title: string;
  /** 0–1: how strongly the text points at this diagnosis and not another. */
  confidence: number;
  spec: string[];
  cause: string;
  fix: string[];
  verify: string[];
  entities: Entities;
  alternatives: Array<{ id: string; title: string; confidence: number }>;
  references: string[];
  /** Present when the text alone cannot decide between diagnoses: what to check to tell them apart. */
  undecided?: { reason: string; checks: string[] };
}

const UNKNOWN = CATALOG.find((d) => d.id === "unknown")!;
const SCORED = CATALOG.filter((d) => d.id !== "unknown");
/** A full error-code match; below a fifth of it the text is not recognised. */
const STRONG = 14;
const RECOGNISED = 5;

/**
 * Undoes what logs and tools do to an error text: JSON escaping (also nested), HTML entities, line breaks as
 * `\r\n` or spaces, log prefixes. What remains is one line, searched case-insensitively.
 */
export function normalise(text: string): string {
  let out = text;
  for (let round = 0; round < 3 && out.includes("\\"); round++) {
    const before = out;
    out = out
      .replace(/\\\\/g, "\\")
      .replace(/\\[rnt]/g, " ")
      .replace(/\\"/g, '"')
      .replace(/\\'/g, "'")
      .replace(/\\\//g, "/")
      .replace(/\\u0027/gi, "'")
      .replace(/\\u0022/gi, '"')
      .replace(/\\u003c/gi, "<")
      .replace(/\\u003e/gi, ">")
      .replace(/\\u0026/gi, "&");
    if (out === before) break;
  }
  if (out.includes("&")) {
    out = out
      .replace(/&#0?39;|&apos;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  }
  return out
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/##\[(?:error|warning|debug|section|command)\]/gi, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function score(diagnosis: Diagnosis, text: string, lower: string): number {
  let total = 0;
  for (const signal of diagnosis.signals) {
    if (lower.includes(signal.needle) && signal.pattern.test(text)) total += signal.weight;
  }
  return total;
}

/** Names the root cause, the fix and how to verify it for a pasted error (SPEC S17). */
export function explain(raw: string): Explanation {
  const text = normalise(String(raw ?? ""));
  const lower = text.toLowerCase();
  const scores = SCORED.map((diagnosis) => ({ diagnosis, score: score(diagnosis, text, lower) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score);
  const entities = extractEntities(text, lower);
  const top3 = scores.slice(0, 3).reduce((sum, s) => sum + s.score, 0);
  const confidence = (s: number) => Math.round(Math.min(1, s / STRONG) * (s / top3) * 100) / 100;

  const best = scores[0];
  if (!best || best.score < RECOGNISED) {
    return render(UNKNOWN, best ? Math.round((1 - best.score / RECOGNISED) * 100) / 100 : 1, entities, scores.slice(0, 3).map((s) => ({ d: s.diagnosis, c: confidence(s.score) })));
  }
  const alternatives = scores
    .slice(1)
    .map((s) => ({ d: s.diagnosis, c: confidence(s.score) }))
    .filter((a) => a.c >= 0.05)
    .slice(0, 4);
  const explanation = render(best.diagnosis, Math.min(0.99, confidence(best.score)), entities, alternatives);
  const runnerUp = scores[1];
  if (runnerUp && runnerUp.score >= 0.75 * best.score) {
    const contenders = scores.filter((s) => s.score >= 0.75 * best.score).map((s) => s.diagnosis);
    const checks = [...new Set(contenders.flatMap((d) => d.distinguish ?? []))];
    explanation.undecided = {
      reason: `The text fits ${contenders.map((d) => `'${d.id}'`).join(", ")} about equally; it does not say which applies.`,
      checks: checks.length ? checks : contenders.map((d) => `${d.title}? See: ${d.cause.split(". ")[0]}.`),
    };
  }
  return explanation;
}

function render(diagnosis: Diagnosis, confidence: number, entities: Entities, alternatives: Array<{ d: Diagnosis; c: number }>): Explanation {
  return {
    id: diagnosis.id,
    title: diagnosis.title,
    confidence,
    spec: diagnosis.spec,
    cause: fill(diagnosis.cause, entities),
    fix: diagnosis.fix.map((step) => fill(step, entities)),
    verify: diagnosis.verify.map((step) => fill(step, entities)),
    entities,
    alternatives: alternatives.map((a) => ({ id: a.d.id, title: a.d.title, confidence: a.c })),
    references: diagnosis.references,
  };
}

/** Secrets have no place in a prompt for an assistant: tokens, secrets and keys are masked. */
export function redact(text: string): string {
  return text
    .replace(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]*/g, "[redacted token]")
    .replace(/((?:client_secret|serviceprincipalkey|password|secret|access_token|refresh_token|client_assertion)["'\s]*[:=]\s*["']?)[^"'\s&,}]+/gi, "$1[redacted]")
    .replace(/(Bearer|Basic)\s+[\w+/=.-]{16,}/g, "$1 [redacted]");
}

/** A ready prompt for an AI assistant: the error (redacted), the local diagnosis and the identifiers found. */
export function assistantPrompt(raw: string, explanation: Explanation): string {
  const entities = Object.entries(explanation.entities)
    .filter(([key]) => !["traceId", "correlationId", "timestamp"].includes(key))
    .map(([key, value]) => `- ${key}: ${value}`);
  const correlation = ["traceId", "correlationId", "timestamp"]
    .filter((k) => explanation.entities[k as keyof Entities])
    .map((k) => `${k} ${explanation.entities[k as keyof Entities]}`);
  const lines = [
    "I'm getting this Azure DevOps service connection error:",
    "",
    "```",
    redact(String(raw).trim()),
    "```",
    "",
    explanation.id === "unknown"
      ? "A local diagnosis (svcconn explain) did not recognise it."
      : `A local diagnosis (svcconn explain) suggests: ${explanation.title} (id '${explanation.id}', confidence ${explanation.confidence}).`,
    ...(explanation.id === "unknown" ? [] : [`Its explanation of the cause: ${explanation.cause}`]),
    ...(explanation.alternatives.length ? [`Other possible causes: ${explanation.alternatives.map((a) => `${a.title} (${a.confidence})`).join("; ")}.`] : []),
    ...(explanation.undecided ? ["The text alone does not decide between them; what would tell them apart:", ...explanation.undecided.checks.map((c) => `- ${c}`)] : []),
    ...(entities.length ? ["", "Identifiers found in the error:", ...entities] : []),
    ...(correlation.length ? [`(Entra request: ${correlation.join(", ")}.)`] : []),
    "",
    "Can you help me troubleshoot this issue? Please provide step-by-step instructions to:",
    "1. Identify the root cause, saying which part of the error supports it, and correct the diagnosis above if it is wrong.",
    "2. Fix the configuration in Azure, Microsoft Entra ID or Azure DevOps: the portal path and the equivalent Azure CLI or REST call, using the identifiers above.",
    "3. Verify the solution works.",
    "",
    "Context: This is for an Azure Resource Manager service connection in Azure DevOps. Secrets in the error were redacted; do not ask me for them.",
  ];
  return `${lines.join("\n")}\n`;
}
