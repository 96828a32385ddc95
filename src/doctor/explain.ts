import { blamesConnection, type RootCauseClass } from "./catalog/define.js";
import { CATALOG, type Diagnosis } from "./catalog/index.js";
import { ENTITY_NEEDLES, extractEntities, fill, type Entities } from "./entities.js";
import { type EvidenceModel, type EvidenceModelFile, learnedScores, loadModel } from "./evidence.js";
import modelFile from "./model.json" with { type: "json" };
import { type PastedText, readPasted, readsAsFailure, taskMentionedIn, withoutDecorations } from "./pasted-log.js";

/** What the person knows besides the text: the task (`AzureCLI@2`, `AzureCLI@2.208.0`) and the connection's scheme. */
export interface ExplainContext {
  task?: string;
  scheme?: string;
}

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
  /** Present when the confidence is below what an answer needs: the three likeliest and the one question that decides. */
  uncertain?: { candidates: Array<{ id: string; rootCauseClass: RootCauseClass | null; title: string; confidence: number }>; question: string };
  /** What was read besides the error: a log's task and version (and the schemes it supports), the scheme. */
  context?: { log: boolean; task?: string; taskSchemes?: string[]; scheme?: string };
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
      .replace(/(?:\\r)?\\n/g, "\n")
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
  // A message escaped inside JSON keeps its line structure: PowerShell's or Terraform's frame comes off here.
  if (out !== text) out = withoutDecorations(out);
  if (out.includes("&")) {
    out = out
      .replace(/&#0?39;|&apos;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  }
  // Each rewrite only where it applies: most texts have no curly quotes and no logging commands.
  if (/[\u2018\u2019\u201c\u201d]/.test(out)) out = out.replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"');
  if (out.includes("##[")) out = out.replace(/##\[(?:error|warning|debug|section|command)\]/gi, " ");
  return out.replace(/\s+/g, " ").trim();
}

/**
 * Every signal's needles and the entity rules' needles, keyed by their first three characters (two for the few two-character needles): one pass
 * over a text finds all that occur. Tables of the ASCII prefixes that start some needle skip most positions without a
 * lookup.
 */
const NEEDLE_IDS = new Map<string, number>();
for (const needle of [...CATALOG.flatMap((d) => d.signals.flatMap((s) => s.needles)), ...ENTITY_NEEDLES.filter(Boolean)]) if (!NEEDLE_IDS.has(needle)) NEEDLE_IDS.set(needle, NEEDLE_IDS.size);
/** Each entity rule's needle id (-1: the rule has none). */
const ENTITY_NEEDLE_IDS = ENTITY_NEEDLES.map((n) => (n ? NEEDLE_IDS.get(n)! : -1));
/** The entities of a text whose needles were found: no second search for them. */
const entitiesOf = (text: string, lower: string, found: Uint8Array) => extractEntities(text, lower, (i) => found[ENTITY_NEEDLE_IDS[i]!] === 1);
/** Per diagnosis, per signal: the ids of its needles (a number test is cheaper than a string lookup). */
const SIGNAL_NEEDLES = CATALOG.map((d) => d.signals.map((s) => s.needles.map((n) => NEEDLE_IDS.get(n)!)));
const ascii = (needle: string, length: number) => [...needle.slice(0, length)].every((c) => c.charCodeAt(0) < 128);
if ([...NEEDLE_IDS.keys()].some((n) => !ascii(n, 3))) throw new Error("a needle starts with a character beyond ASCII");
const prefixKey = (a: number, b: number, c = 0) => (a * 128 + b) * 128 + c;
/** A prefix's needles and their ids, side by side (cheaper to walk than pairs). */
const NEEDLES = new Map<number, { texts: string[]; ids: number[] }>();
const STARTS2 = new Uint8Array(128 * 128);
const STARTS3 = new Uint8Array(128 * 128 * 128);
for (const [needle, id] of NEEDLE_IDS) {
  const short = needle.length < 3;
  const key = short ? prefixKey(needle.charCodeAt(0), needle.charCodeAt(1)) : prefixKey(needle.charCodeAt(0), needle.charCodeAt(1), needle.charCodeAt(2));
  // Two-character needles live under keys with a zero third character, which no three-character prefix uses.
  const bucket = NEEDLES.get(key) ?? { texts: [], ids: [] };
  bucket.texts.push(needle);
  bucket.ids.push(id);
  NEEDLES.set(key, bucket);
  if (short) STARTS2[needle.charCodeAt(0) * 128 + needle.charCodeAt(1)] = 1;
  else STARTS3[key] = 1;
}

/**
 * Which needles occur in the text, as a flag per needle id. The flags are one buffer, cleared and filled again by
 * each call (allocating one per text costs more than reading it): read them before the next call.
 */
const FOUND = new Uint8Array(NEEDLE_IDS.size);
function needlesIn(lower: string): Uint8Array {
  const found = FOUND.fill(0);
  const end = lower.length - 1;
  for (let i = 0; i < end; i++) {
    const first = lower.charCodeAt(i);
    const second = lower.charCodeAt(i + 1);
    if (first >= 128 || second >= 128) continue;
    if (STARTS2[first * 128 + second] === 1) mark(NEEDLES.get(prefixKey(first, second))!, lower, i, found);
    const third = i + 2 <= end ? lower.charCodeAt(i + 2) : 128;
    if (third >= 128 || STARTS3[prefixKey(first, second, third)] === 0) continue;
    mark(NEEDLES.get(prefixKey(first, second, third))!, lower, i, found);
  }
  return found;
}

function mark(bucket: { texts: string[]; ids: number[] }, lower: string, at: number, found: Uint8Array): void {
  for (let k = 0; k < bucket.texts.length; k++) if (lower.startsWith(bucket.texts[k]!, at)) found[bucket.ids[k]!] = 1;
}

/**
 * Scores best first, equal ones in the catalog's order (what a stable sort gives): most diagnoses score exactly 0,
 * so only the few others are sorted — a sort of all of them was the costliest line of explain.
 */
function bestFirst<T extends { score: number }>(scores: T[]): T[] {
  const above: T[] = [];
  const zero: T[] = [];
  const below: T[] = [];
  for (const s of scores) (s.score > 0 ? above : s.score < 0 ? below : zero).push(s);
  return [...insertionSorted(above), ...zero, ...insertionSorted(below)];
}

/** Descending and stable: each goes after the ones it equals. */
function insertionSorted<T extends { score: number }>(items: T[]): T[] {
  for (let i = 1; i < items.length; i++) {
    const item = items[i]!;
    let j = i - 1;
    for (; j >= 0 && items[j]!.score < item.score; j--) items[j + 1] = items[j]!;
    items[j + 1] = item;
  }
  return items;
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
  const { text, lower, pasted } = readForScoring(raw);
  const found = needlesIn(lower);
  const entities = entitiesOf(text, lower, found);
  const scores = CATALOG.map((d, i) => {
    const score = signalScore(i, lower, found, entities);
    return { diagnosis: d, score, evidence: score };
  });
  return new Map(withContext(scores, pasted).map((s) => [s.diagnosis.id, s.score]));
}

/** What scoring reads of a pasted text (the same for explain and for training): a log's failing lines, normalised. */
export function readForScoring(raw: string, context: ExplainContext = {}): { pasted: PastedText; text: string; lower: string } {
  const pasted = readPasted(String(raw ?? ""), context);
  const text = normalise(pasted.focus);
  return { pasted, text, lower: text.toLowerCase() };
}

/** A diagnosis's points: `evidence` is the hand-written part (signals, entities, context), `score` adds the learned words. */
export interface Scored {
  diagnosis: Diagnosis;
  score: number;
  evidence: number;
}

/**
 * Each diagnosis's evidence: the hand-written signals (codes, phrase families), the identifiers the text names,
 * plus the learned word evidence, scaled. `unknown` has learned evidence only: what failure summaries that name no
 * cause ("exited with code 1") look like.
 */
export function combinedScores(text: string, lower: string, model: EvidenceModel = MODEL, found = needlesIn(lower), entities = entitiesOf(text, lower, found)): Scored[] {
  const learned = learnedScores(model, lower);
  const out: Scored[] = [];
  for (let i = 0; i < CATALOG.length; i++) {
    const index = model === MODEL ? CLASS_OF[i]! : model.classes.indexOf(CATALOG[i]!.id);
    const evidence = signalScore(i, lower, found, entities);
    out.push({ diagnosis: CATALOG[i]!, score: evidence + model.scale * (index < 0 ? 0 : learned[index]!), evidence });
  }
  return bestFirst(out);
}

/** A log with nothing failing in it: there is no error to explain. */
const NO_FAILURE = {
  id: "no-failure-found",
  title: "No failure found in the log",
  cause: "The log has no error line (##[error]) and no line that reads as a failure: the step or job it shows did not fail here.",
  fix: ["Paste the log of the step that failed (the run's summary names it), or its ##[error] lines and the lines before them."],
};

/** Points a known scheme or task gives: the evidence outside the error's words. */
const SCHEME_MISMATCH = 20;
const TASK_LACKS_SCHEME = 16;
const TASK_MAY_LACK_SCHEME = 6;
const TASK_HAS_SCHEME = 12;
const CREDENTIAL_CLASSES = new Set<RootCauseClass | null>(["secret_expired_or_invalid", "jwt_failure_other", "wif_other", "wif_issuer_subject_mismatch", "managed_identity_unsupported"]);

function contextPoints(d: Diagnosis, pasted: PastedText, credentialTrouble: boolean): number {
  let points = 0;
  if (pasted.scheme && d.schemes && !d.schemes.includes(pasted.scheme)) points -= SCHEME_MISMATCH;
  const support = pasted.task?.support;
  if (d.taskLacks && support) {
    if (support.schemes.includes(d.taskLacks)) points -= TASK_HAS_SCHEME;
    else if (pasted.scheme === d.taskLacks) points += TASK_LACKS_SCHEME;
    else if (!pasted.scheme && credentialTrouble) points += TASK_MAY_LACK_SCHEME;
  }
  return points;
}

/**
 * What a text must name before learned words alone may blame the connection on it: a sign-in, an identity, a
 * credential, a permission, a subscription or tenant, the connection itself. Task messages about kubectl versions,
 * NuGet feeds or global.json share words with connection failures ("could not fetch", "version", "not supported")
 * and named no cause of the connection's; they are left to what is not the connection, or to unknown.
 */
const SPEAKS_OF_ACCESS = /token|credential|secret|certificate|tenant|subscription|authori[sz]|authenticat|identity|principal|service connection|endpoint|federat|assertion|oidc|permission|forbidden|denied|\b40[13]\b|\brole\b|rbac|log(?:ged)? ?in|sign(?:ed)?[ -]?in|consent|\bmsi\b|imds|aadsts|entra|azure ad|\baad\b|app registration|client[ _]?id|\bspn\b|privileg|\bowner\b|administrator|\bguest\b|in the directory '|onmicrosoft\.com|password|\bo?auth\b|oauth2|\bjwt\b|\bmfa\b|multi-factor|conditional access|\bapp ?id\b|object ?id/;

/** Without such words, a connection diagnosis that no code, phrase or context speaks for scores nothing. */
function withoutLearnedBlame(scores: Scored[], speaksOfAccess: boolean): Scored[] {
  if (speaksOfAccess) return scores;
  return bestFirst(scores.map((s) => (blamesConnection(s.diagnosis.rootCauseClass) && s.evidence <= 0 && s.score > s.evidence ? { ...s, score: s.evidence } : s)));
}

/** The scores with what the context says added: the scheme given or shown, the task's supported schemes. */
function withContext(scores: Scored[], pasted: PastedText): Scored[] {
  // The words must point at a credential first: a task's schemes do not turn an unrelated failure into one.
  const best = scores.reduce<(typeof scores)[number] | undefined>((top, s) => (!top || s.score > top.score ? s : top), undefined);
  const credentialTrouble = !!best && best.score > 0 && CREDENTIAL_CLASSES.has(best.diagnosis.rootCauseClass);
  // A task named in passing counts only where its support could decide (it is what the text says, kept with it).
  if (!pasted.task && credentialTrouble) pasted.task = taskMentionedIn(pasted.focus);
  if (!pasted.scheme && !pasted.task?.support) return scores;
  return bestFirst(
    scores.map((s) => {
      const points = contextPoints(s.diagnosis, pasted, credentialTrouble);
      return { diagnosis: s.diagnosis, score: s.score + points, evidence: s.evidence + points };
    }),
  );
}

/**
 * Names the root cause, the fix and how to verify it for a pasted error or log (SPEC S17). A log is read for its
 * failing lines, its task and version; `context` adds what the person knows (the task, the connection's scheme).
 */
export function explain(raw: string, context: ExplainContext = {}): Explanation {
  const pasted = readPasted(String(raw ?? ""), context);
  if (!pasted.failed) return { ...render(UNKNOWN, MOST_CONFIDENT, {}, []), ...NO_FAILURE, rootCauseClass: null, verify: [], references: [], context: contextRead(pasted) };
  const text = normalise(pasted.focus);
  const lower = text.toLowerCase();
  const found = needlesIn(lower);
  const entities = entitiesOf(text, lower, found);
  const speaksOfAccess = SPEAKS_OF_ACCESS.test(lower);
  const scores = withoutLearnedBlame(withContext(combinedScores(text, lower, MODEL, found, entities), pasted), speaksOfAccess);
  if (pasted.task) entities.task = pasted.task.named;
  if (pasted.task?.support?.federationIn) entities.taskUpgrade = pasted.task.support.federationIn;
  const ranked = likeliestClassFirst(scores);
  const confidences = softmax(ranked);
  // Read on the failing lines as pasted (a step's summaries are known by their lines), and only when nothing is recognised.
  const unrelatedFailure = () => !speaksOfAccess && readsAsFailure(pasted.focus);
  const explanation = decide(ranked, confidences, entities, lower, unrelatedFailure);
  explanation.context = contextRead(pasted);
  const uncertain = uncertainty(explanation, ranked, confidences, pasted);
  if (uncertain) explanation.uncertain = uncertain;
  return explanation;
}

function contextRead(pasted: PastedText): Explanation["context"] {
  return {
    log: pasted.isLog,
    ...(pasted.task ? { task: pasted.task.named } : {}),
    ...(pasted.task?.support ? { taskSchemes: pasted.task.support.schemes } : {}),
    ...(pasted.scheme ? { scheme: pasted.scheme } : {}),
  };
}

/**
 * Below this confidence an answer is right less than half the time (real development messages: 0.3–0.5 → 1 in 5),
 * so it is given as uncertain: the three likeliest, and the question whose answer would decide.
 */
const UNCERTAIN_BELOW = 0.5;

function uncertainty(explanation: Explanation, scores: Scored[], { exps, total }: Softmax, pasted: PastedText): Explanation["uncertain"] {
  if (explanation.id !== UNKNOWN.id && explanation.confidence >= UNCERTAIN_BELOW) return undefined;
  // Scores are best first: the three likeliest are among the first that score at all.
  const likeliest: Array<{ diagnosis: Diagnosis; confidence: number }> = [];
  for (let i = 0; i < scores.length && likeliest.length < 3 && scores[i]!.score > 0; i++) {
    if (scores[i]!.diagnosis !== UNKNOWN) likeliest.push({ diagnosis: scores[i]!.diagnosis, confidence: Math.round((exps[i]! / total) * 100) / 100 });
  }
  if (!likeliest.length) return undefined;
  return {
    candidates: likeliest.map(({ diagnosis: d, confidence }) => ({ id: d.id, rootCauseClass: d.rootCauseClass, title: d.title, confidence })),
    question: decidingQuestion(likeliest.map((s) => s.diagnosis), pasted),
  };
}

/** The one question whose answer tells the candidates apart. */
function decidingQuestion(candidates: Diagnosis[], pasted: PastedText): string {
  const classes = new Set(candidates.map((d) => d.rootCauseClass));
  if (classes.size === 1 && classes.has("other")) return "What did the step run just before this line (its [command] line and what that printed)? It names the input, file, resource or tool that failed.";
  const schemes = new Set(candidates.flatMap((d) => d.schemes ?? []));
  if (!pasted.scheme && schemes.size > 1) return "Which authentication scheme does the service connection use: a secret, a certificate, workload identity federation or a managed identity?";
  if (!pasted.task?.support && candidates.some((d) => d.taskLacks || d.rootCauseClass === "managed_identity_unsupported" || d.rootCauseClass === "wif_other")) {
    return "Which task printed this, and which version? (The task log's header: 'Task :' and 'Version :'.)";
  }
  if (classes.has("other") && classes.size > 1) return "Is this the step's first error? Paste the task log from its header to the first ##[error] line: what failed before this line decides whether the connection is involved.";
  return "Where did this appear: a pipeline run (which task and version), creating or verifying the connection, or a script or tool outside Azure DevOps?";
}

/**
 * No answer is surer than this: on real development messages the answers the evidence makes near-certain were right
 * 94 % of the time when it was set (a message's surface can mislead however clear its code; held out, less), so a
 * stated 0.99 would overstate it.
 */
const MOST_CONFIDENT = 0.95;

/**
 * No answer that rests on the learned words alone (no code, phrase, identifier or context points at it) is surer than
 * this: on real development messages 4 in 10 such answers were right when it was set, however the words add up.
 */
const WORDS_ONLY_CONFIDENT = 0.35;

/**
 * The answer is a root cause, so the likeliest class leads: when several diagnoses of one class (the fourteen ways a
 * failure is not the connection's, the secret's three) share the evidence, together they can outweigh another
 * class's single best. Its best diagnosis then comes first, with its own confidence; otherwise the order stands.
 */
export function likeliestClassFirst(scores: Scored[]): Scored[] {
  const top = scores[0]!;
  if (top.diagnosis === UNKNOWN) return scores;
  // Scores are best first: a class's first diagnosis is its best.
  const classes = new Map<RootCauseClass, { mass: number; best: Scored }>();
  for (const s of scores) {
    const gap = (top.score - s.score) / MODEL.temperature;
    // Sorted: what follows weighs under e^-8 of the first each (all of it under 2 %): it moves no class.
    if (gap > 8) break;
    const c = s.diagnosis.rootCauseClass;
    if (c === null) continue;
    const weight = Math.exp(-gap);
    const seen = classes.get(c);
    if (seen) seen.mass += weight;
    else classes.set(c, { mass: weight, best: s });
  }
  let leader = classes.get(top.diagnosis.rootCauseClass!)!;
  for (const c of classes.values()) if (c.mass > leader.mass) leader = c;
  if (leader.best === top || leader.best.score < MODEL.threshold) return scores;
  return [leader.best, ...scores.filter((s) => s !== leader.best)];
}

/** Confidences: a softmax over the evidence (scores sorted, best first), with "none of them" at the recognition threshold. */
interface Softmax {
  exps: number[];
  none: number;
  total: number;
}

function softmax(scores: Array<{ score: number }>): Softmax {
  const exps = scores.map((s) => Math.exp((s.score - scores[0]!.score) / MODEL.temperature));
  const none = Math.exp((MODEL.threshold - scores[0]!.score) / MODEL.temperature);
  return { exps, none, total: exps.reduce((a, b) => a + b, 0) + none };
}

/** The answer from the scores: the best diagnosis, its confidence, the alternatives, and whether it is decided. */
function decide(scores: Scored[], { exps, none, total }: Softmax, entities: Entities, lower: string, unrelatedFailure: () => boolean): Explanation {
  const confidence = (i: number) => Math.round((exps[i]! / total) * 100) / 100;
  // Alternatives come from the first few (scores are sorted): the rest are below any confidence worth naming.
  const ranked = scores
    .slice(0, 8)
    .map((s, i) => ({ d: s.diagnosis, c: confidence(i), score: s.score }))
    .filter((r) => r.d !== UNKNOWN && r.score > 0);

  const best = scores[0]!;
  if (best.diagnosis !== UNKNOWN && best.score < MODEL.threshold && unrelatedFailure()) {
    const instead = ranked.filter((r) => r.d.rootCauseClass === "other").slice(0, 3);
    return render(NOT_ABOUT_ACCESS, NOT_ABOUT_ACCESS_CONFIDENT, entities, instead);
  }
  if (best.diagnosis === UNKNOWN || best.score < MODEL.threshold) {
    const unrecognised = Math.round((none / total + (best.diagnosis === UNKNOWN ? exps[0]! / total : 0)) * 100) / 100;
    return render(UNKNOWN, Math.min(MOST_CONFIDENT, unrecognised), entities, ranked.slice(0, 3));
  }
  const alternatives = ranked.filter((r) => r.d !== best.diagnosis && r.c >= 0.05).slice(0, 4);
  const explanation = render(best.diagnosis, Math.min(best.evidence > 0 ? MOST_CONFIDENT : WORDS_ONLY_CONFIDENT, confidence(0)), entities, alternatives);
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

/**
 * A failure no diagnosis recognises, in words that name nothing of access — no sign-in, token, credential, identity,
 * permission, role, subscription, tenant or connection. The connection fails in those words; this failure is the
 * step's own. How sure: a prior, not a measure — 4 of the 6 development messages without such words are not the
 * connection's — so it stays uncertain, with what it most likely is instead.
 */
const NOT_ABOUT_ACCESS_CONFIDENT = 0.4;

/** It is no catalog entry: nothing speaks for it but the absence of the rest (like no-failure-found). */
const NOT_ABOUT_ACCESS: Diagnosis = {
  id: "not-about-access",
  rootCauseClass: "other",
  title: "Not a connection problem: the failure names no sign-in, identity or permission",
  spec: ["S17"],
  signals: [],
  cause:
    "Nothing in the failing lines is about access: no sign-in, token, credential, identity, role, permission, subscription, tenant or service connection. A service connection fails in those words; this is the step's own failure — its inputs, files, the resource, the tool, the agent or the service.",
  fix: [
    "Read the first ##[error] line and the lines before it: they name the input, file, resource or command that failed. Fix that; the service connection needs no change.",
    "If an earlier line of the step shows a sign-in, token or permission failure, explain that line instead: it came first.",
  ],
  verify: ["Re-run the failing step after the fix."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/troubleshooting/troubleshooting"],
};

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

/**
 * Secrets have no place in a prompt for an assistant. Masked by shape, whatever names them: tokens (JWTs, Bearer and
 * Basic values), Entra client secrets (`…8Q~…`), Azure DevOps personal access tokens (52-character and 84-character
 * `…AZDO…` forms), GitHub tokens, storage and Service Bus keys and SAS signatures, private keys, and the values of
 * secret-bearing options and parameters (`-p`, `--password`, `--client-secret`, `-ServicePrincipalKey`,
 * `ConvertTo-SecureString '…'`, `client_secret=`, `AccountKey=`).
 */
export function redact(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, "[redacted private key]")
    .replace(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]*/g, "[redacted token]")
    .replace(/(Bearer|Basic)\s+[\w+/=.-]{16,}/g, "$1 [redacted]")
    .replace(/[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,37}/g, "[redacted client secret]")
    .replace(/\b[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}\b/g, "[redacted PAT]")
    .replace(/\b[a-z2-7]{52}\b/g, "[redacted PAT]")
    .replace(/\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{60,}/g, "[redacted token]")
    .replace(/((?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)=)[^;"'\s]+/gi, "$1[redacted]")
    .replace(/([?&]sig=)[^&"'\s]+/gi, "$1[redacted]")
    .replace(/((?:^|\s)(?:-p|--password|--client-secret|--secret|--client_secret|-Password|-ClientSecret|-ServicePrincipalKey|-CertificatePassword)(?:\s+|=))(["']?)(?!\[redacted)[^\s"']+\2/gim, "$1$2[redacted]$2")
    .replace(/(ConvertTo-SecureString\s+(?:-String\s+)?)(["'])[^"']*\2/gi, "$1$2[redacted]$2")
    .replace(/(\b\w*(?:_PAT|_TOKEN|_SECRET|_KEY|ACCESSTOKEN|_PASSWORD)["']?\s*[:=]\s*["']?)(?!\[redacted)[^"'\s]+/gi, "$1[redacted]")
    .replace(/((?:client_secret|serviceprincipalkey|password|secret|access_token|refresh_token|client_assertion|id_token|idtoken)["'\s]*[:=]\s*["']?)(?!\[redacted)[^"'\s&,}]+/gi, "$1[redacted]");
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
