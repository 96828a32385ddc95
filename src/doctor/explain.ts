import type { RootCauseClass } from "./catalog/define.js";
import { CATALOG, type Diagnosis } from "./catalog/index.js";
import { extractEntities, fill, type Entities } from "./entities.js";
import { type EvidenceModel, type EvidenceModelFile, learnedScores, loadModel } from "./evidence.js";
import modelFile from "./model.json" with { type: "json" };

export interface Explanation {
  id: string;
  /** The root-cause class of the diagnosis (`other`: not caused by the connection; null: not recognised). */
  rootCauseClass: RootCauseClass | null;
  title: string;
  /** 0–1: how strongly the text points at this diagnosis and not another. */
  confidence: number;
  spec: string[];
  cause: string;
  fix: string[];
  verify: string[];
  entities: Entities;
  alternatives: Array<{ id: string; rootCauseClass: RootCauseClass | null; title: string; confidence: number }>;
  references: string[];
  /** Present when the text alone cannot decide between diagnoses: what to check to tell them apart. */
  undecided?: { reason: string; checks: string[] };
}

const UNKNOWN = CATALOG.find((d) => d.id === "unknown")!;
const MODEL = loadModel(modelFile as unknown as EvidenceModelFile);
/** For each catalog entry, its index in the model's classes (-1: the model has none for it). */
const CLASS_OF = CATALOG.map((d) => MODEL.classes.indexOf(d.id));

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

/**
 * Every signal's needles, keyed by their first two characters: one pass over a text finds all that occur. A table of
 * the ASCII pairs that start some needle skips most positions without a lookup.
 */
const NEEDLE_IDS = new Map<string, number>();
for (const needle of CATALOG.flatMap((d) => d.signals.flatMap((s) => s.needles))) if (!NEEDLE_IDS.has(needle)) NEEDLE_IDS.set(needle, NEEDLE_IDS.size);
/** Per diagnosis, per signal: the ids of its needles (a number test is cheaper than a string lookup). */
const SIGNAL_NEEDLES = CATALOG.map((d) => d.signals.map((s) => s.needles.map((n) => NEEDLE_IDS.get(n)!)));
const NEEDLES = new Map<number, Array<[string, number]>>();
const STARTS = new Uint8Array(128 * 128);
for (const [needle, id] of NEEDLE_IDS) {
  const first = needle.charCodeAt(0);
  const second = needle.charCodeAt(1);
  NEEDLES.set(first * 0x10000 + second, [...(NEEDLES.get(first * 0x10000 + second) ?? []), [needle, id]]);
  if (first < 128 && second < 128) STARTS[first * 128 + second] = 1;
}
const NON_ASCII_STARTS = [...NEEDLES.keys()].some((k) => Math.floor(k / 0x10000) >= 128 || k % 0x10000 >= 128);

/** Which needles occur in the text, as a flag per needle id. */
function needlesIn(lower: string): Uint8Array {
  const found = new Uint8Array(NEEDLE_IDS.size);
  for (let i = 0; i < lower.length - 1; i++) {
    const first = lower.charCodeAt(i);
    const second = lower.charCodeAt(i + 1);
    if (first < 128 && second < 128 ? STARTS[first * 128 + second] === 0 : !NON_ASCII_STARTS) continue;
    const candidates = NEEDLES.get(first * 0x10000 + second);
    if (candidates) for (const [n, id] of candidates) if (lower.startsWith(n, i)) found[id] = 1;
  }
  return found;
}

function signalScore(index: number, lower: string, found: Uint8Array, entities: Entities): number {
  const diagnosis = CATALOG[index]!;
  const signals = diagnosis.signals;
  const needles = SIGNAL_NEEDLES[index]!;
  let total = 0;
  for (let s = 0; s < signals.length; s++) {
    const ids = needles[s]!;
    let present = false;
    for (let k = 0; k < ids.length && !present; k++) present = found[ids[k]!] === 1;
    if (present && signals[s]!.pattern.test(lower)) total += signals[s]!.weight;
  }
  for (const evidence of diagnosis.entities ?? []) {
    const value = entities[evidence.entity];
    if (value !== undefined && (!evidence.pattern || evidence.pattern.test(value))) total += evidence.weight;
  }
  return total;
}

/** The hand-written evidence's points for every diagnosis: signals and entities (training labels the vocabulary with them). */
export function signalScores(raw: string): Map<string, number> {
  const text = normalise(String(raw ?? ""));
  const lower = text.toLowerCase();
  const found = needlesIn(lower);
  const entities = extractEntities(text, lower);
  return new Map(CATALOG.map((d, i) => [d.id, signalScore(i, lower, found, entities)]));
}

/**
 * Each diagnosis's evidence: the hand-written signals (codes, phrase families), the identifiers the text names,
 * plus the learned word evidence, scaled. `unknown`'s evidence is what pipeline noise that is no connection's doing
 * looks like.
 */
export function combinedScores(text: string, lower: string, model: EvidenceModel = MODEL, entities = extractEntities(text, lower)): Array<{ diagnosis: Diagnosis; score: number }> {
  const learned = learnedScores(model, lower);
  const found = needlesIn(lower);
  const out: Array<{ diagnosis: Diagnosis; score: number }> = [];
  for (let i = 0; i < CATALOG.length; i++) {
    const index = model === MODEL ? CLASS_OF[i]! : model.classes.indexOf(CATALOG[i]!.id);
    out.push({ diagnosis: CATALOG[i]!, score: signalScore(i, lower, found, entities) + model.scale * (index < 0 ? 0 : learned[index]!) });
  }
  return out.sort((a, b) => b.score - a.score);
}

/** Names the root cause, the fix and how to verify it for a pasted error (SPEC S17). */
export function explain(raw: string): Explanation {
  const text = normalise(String(raw ?? ""));
  const lower = text.toLowerCase();
  const entities = extractEntities(text, lower);
  const scores = combinedScores(text, lower, MODEL, entities);
  // Confidences: a softmax over the evidence, with "none of them" standing at the recognition threshold.
  const exps = scores.map((s) => Math.exp((s.score - scores[0]!.score) / MODEL.temperature));
  const none = Math.exp((MODEL.threshold - scores[0]!.score) / MODEL.temperature);
  const total = exps.reduce((a, b) => a + b, 0) + none;
  const confidence = (i: number) => Math.round((exps[i]! / total) * 100) / 100;
  const ranked = scores.map((s, i) => ({ d: s.diagnosis, c: confidence(i), score: s.score })).filter((r) => r.d !== UNKNOWN && r.score > 0);

  const best = scores[0]!;
  if (best.diagnosis === UNKNOWN || best.score < MODEL.threshold) {
    const unrecognised = Math.round((none / total + (best.diagnosis === UNKNOWN ? exps[0]! / total : 0)) * 100) / 100;
    return render(UNKNOWN, Math.min(0.99, unrecognised), entities, ranked.slice(0, 3));
  }
  const alternatives = ranked.filter((r) => r.d !== best.diagnosis && r.c >= 0.05).slice(0, 4);
  const explanation = render(best.diagnosis, Math.min(0.99, confidence(0)), entities, alternatives);
  const contenders = scores.filter((s) => s.diagnosis !== UNKNOWN && s.score >= 0.75 * best.score && s.score > 0).map((s) => s.diagnosis);
  const ambiguity = best.diagnosis.ambiguities?.find((a) => a.when.test(lower) && !a.unless?.test(lower));
  if (ambiguity) {
    explanation.undecided = { reason: ambiguity.reason, checks: ambiguity.checks };
    explanation.confidence = Math.min(explanation.confidence, 0.6);
  } else if (contenders.length > 1) {
    // About equal evidence for several: no more sure of the first than an even split would be.
    explanation.confidence = Math.min(explanation.confidence, Math.floor(100 / contenders.length) / 100);
    const checks = [...new Set(contenders.flatMap((d) => d.distinguish ?? []))];
    // What the scan reads settles it: name the findings that would show each contender on the connection.
    const scanned = contenders.filter((d) => d.scanFindings?.length);
    if (scanned.length) checks.push(`svcconn doctor scan reads the connection and tells them apart: ${scanned.map((d) => `${d.scanFindings!.join(" or ")} → ${d.id}`).join("; ")}.`);
    explanation.undecided = {
      reason: `The text fits ${contenders.map((d) => `'${d.id}'`).join(", ")} about equally; it does not say which applies.`,
      checks: checks.length ? checks : contenders.map((d) => `${d.title}? See: ${d.cause.split(". ")[0]}.`),
    };
    for (const d of contenders) {
      if (d !== best.diagnosis && !explanation.alternatives.some((a) => a.id === d.id)) explanation.alternatives.push({ id: d.id, rootCauseClass: d.rootCauseClass, title: d.title, confidence: 0.05 });
    }
  }
  return explanation;
}

function render(diagnosis: Diagnosis, confidence: number, entities: Entities, alternatives: Array<{ d: Diagnosis; c: number }>): Explanation {
  return {
    id: diagnosis.id,
    rootCauseClass: diagnosis.rootCauseClass,
    title: diagnosis.title,
    confidence,
    spec: diagnosis.spec,
    cause: fill(diagnosis.cause, entities),
    fix: diagnosis.fix.map((step) => fill(step, entities)),
    verify: diagnosis.verify.map((step) => fill(step, entities)),
    entities,
    alternatives: alternatives.map((a) => ({ id: a.d.id, rootCauseClass: a.d.rootCauseClass, title: a.d.title, confidence: a.c })),
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
