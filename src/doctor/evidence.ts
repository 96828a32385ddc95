/**
 * The learned half of `explain`'s evidence: words and word pairs, weighted per diagnosis by how much more often
 * they occur in that diagnosis's texts than in everything the tools say (the mined vocabulary). The weights are
 * trained at build time by scripts/train-explain.ts on the development part of the corpus and stored in
 * model.json; nothing is learned at run time.
 */

const STOP = new Set(
  "a an the to of in on for and or is are was were be been being it its this that these those with as at by from into onto than then there their they them we our us i my me you your he she his her can could would should will shall may might must has have had do does did done if but so not no nor any all some only also just more most other such very what which who whom how why when while where here about after before over under again once both each few own same too out up down off per via please see use using used get got error errors message exception status code failed failure trace id correlation timestamp".split(
    " ",
  ),
);
const SUFFIXES = ["ations", "ation", "ments", "ment", "ings", "ing", "ities", "ity", "ness", "ied", "ies", "ed", "es", "s", "ly"];

/** A light stemmer: enough that "expired", "expires" and "expiring" meet, cheap enough for 20 000 messages/s. */
export function stem(word: string): string {
  if (word.length <= 4) return word;
  // Every suffix ends in one of these letters: most words leave at once.
  const last = word.charCodeAt(word.length - 1);
  if (last !== 115 /* s */ && last !== 110 /* n */ && last !== 116 /* t */ && last !== 103 /* g */ && last !== 121 /* y */ && last !== 100 /* d */) return word;
  for (const suffix of SUFFIXES) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 4) return word.slice(0, -suffix.length);
  }
  return word;
}

const CODES = /(?:aadsts|error_codes"?\s*:\s*\[\s*|error\(s\):\s*)(\d{5,7})\b/g;

/** Error codes however written (`AADSTS7000222`, `error_codes":[7000222]`, `Error(s): 7000222`), as `code:N`. */
function codes(lower: string): string[] {
  if (!lower.includes("aadsts") && !lower.includes("error")) return [];
  return [...lower.matchAll(CODES)].map((m) => `code:${m[1]}`);
}

/** What a raw word is to the features: skipped (a stop word), a break (a number, an id, a code) or a stem. */
const SKIP = 0;
const BREAK = 1;
function classify(word: string, digits: boolean): typeof SKIP | typeof BREAK | string {
  // Stop words are skipped; numbers and hex fragments (ids, thumbprints, parts of GUIDs) and codes say nothing
  // as words and end a pair.
  if (word.length < 2 || STOP.has(word)) return SKIP;
  if (digits && (/^\d/.test(word) || /^[0-9a-f]+$/.test(word) || word.startsWith("aadsts"))) return BREAK;
  return stem(word);
}

/** FNV-1a over a word's character codes, kept a small integer. */
const FNV_OFFSET = 0x811c9dc5 & 0x3fffffff;
const hashStep = (hash: number, c: number) => Math.imul(hash ^ c, 0x01000193) & 0x3fffffff;

/**
 * Calls `visit` with each raw word (a run of [a-z0-9]) of a lower-cased text, in order: where it starts and ends,
 * a hash of its characters and whether it holds a digit. One pass over the characters: a hand-written scanner, as a
 * regex iterator is slower, and no string is cut out unless the caller needs it.
 */
function scan(lower: string, visit: (start: number, end: number, hash: number, digits: boolean) => void): void {
  let start = -1;
  let digits = false;
  let hash = FNV_OFFSET;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 0;
    const digit = c >= 48 && c <= 57;
    if ((c >= 97 && c <= 122) || digit) {
      if (start < 0) {
        start = i;
        digits = false;
        hash = FNV_OFFSET;
      }
      if (digit) digits = true;
      hash = hashStep(hash, c);
      continue;
    }
    if (start < 0) continue;
    visit(start, i, hash, digits);
    start = -1;
  }
}


/**
 * The features of a normalised, lower-cased text (what training counts): error codes (`code:7000222`), stemmed
 * content words, and pairs of neighbouring content words (`expir_secret`). Each feature counts once per text.
 */
export function features(lower: string): Set<string> {
  const out = new Set<string>(codes(lower));
  let previous: string | null = null;
  scan(lower, (start, end, _hash, digits) => {
    const word = classify(lower.slice(start, end), digits);
    if (word === SKIP) return;
    if (word === BREAK) {
      previous = null;
      return;
    }
    out.add(word);
    if (previous) out.add(`${previous}_${word}`);
    previous = word;
  });
  return out;
}

/** model.json: per feature, the diagnoses it speaks for and how strongly (log likelihood ratios, positive only). */
export interface EvidenceModelFile {
  /** How the model was made: the corpus part, the vocabulary, and the cross-validated figures. */
  trainedOn: Record<string, unknown>;
  /** Diagnosis ids, indexed by the numbers in `weights`. */
  classes: string[];
  weights: Record<string, Array<[number, number]>>;
  /** How much learned evidence counts against the hand-written signals' points. */
  scale: number;
  /** The most learned evidence one diagnosis can gather (before scaling): words add up, but never outvote a code. */
  ceiling: number;
  /** Below this combined score a text is not recognised. */
  threshold: number;
  /** Softmax temperature that turns combined scores into calibrated confidences. */
  temperature: number;
}

/** A feature's evidence, flat: class index, weight, class index, weight… (cheaper to add up than pairs). */
type Entries = Float64Array;
const flat = (entries: Array<[number, number]>): Entries => Float64Array.from(entries.flat());

/**
 * The model as scoring uses it: words numbered, pairs keyed by their two numbers, so a text is scored without
 * building a string per pair.
 */
export interface EvidenceModel {
  classes: string[];
  scale: number;
  ceiling: number;
  threshold: number;
  temperature: number;
  wordIds: Map<string, number>;
  wordWeights: Array<Entries | undefined>;
  pairWeights: Map<number, Entries>;
  codeWeights: Map<string, Entries>;
  /** Raw word → its word id, or SKIPPED / UNKNOWN: each distinct raw word is classified and stemmed once. */
  rawWords: RawWords;
}

/**
 * The raw words met so far, found by a hash of their characters computed while scanning: a word already met is
 * looked up without cutting it out of the text (a new string per word, hashed again, was the costliest part).
 */
class RawWords {
  private readonly byHash = new Map<number, Array<{ raw: string; n: number }>>();
  size = 0;

  get(lower: string, start: number, end: number, hash: number): number | undefined {
    const entries = this.byHash.get(hash);
    if (entries) for (const e of entries) if (e.raw.length === end - start && lower.startsWith(e.raw, start)) return e.n;
    return undefined;
  }

  set(raw: string, hash: number, n: number): void {
    const entries = this.byHash.get(hash);
    if (entries) entries.push({ raw, n });
    else this.byHash.set(hash, [{ raw, n }]);
    this.size++;
  }
}


const SKIPPED = -2;
const UNKNOWN_WORD = -1;
const BREAK_WORD = -3;
/** Raw words remembered at most (the cache must not grow without bound on hostile input). */
const RAW_WORD_CACHE = 50_000;

const pairKey = (first: number, second: number) => (first + 1) * 0x10000 + second;

export function loadModel(file: Pick<EvidenceModelFile, "classes" | "weights" | "scale" | "ceiling" | "threshold" | "temperature">): EvidenceModel {
  const model: EvidenceModel = {
    classes: file.classes,
    scale: file.scale,
    ceiling: file.ceiling,
    threshold: file.threshold,
    temperature: file.temperature,
    wordIds: new Map(),
    wordWeights: [],
    pairWeights: new Map(),
    codeWeights: new Map(),
    rawWords: new RawWords(),
  };
  const id = (word: string) => {
    const n = model.wordIds.get(word) ?? model.wordIds.size;
    model.wordIds.set(word, n);
    if (n >= 0xffff) throw new Error("the evidence model has more words than a pair key holds");
    return n;
  };
  for (const [feature, entries] of Object.entries(file.weights)) {
    if (feature.startsWith("code:")) model.codeWeights.set(feature, flat(entries));
    else if (feature.includes("_")) {
      const [first, second] = feature.split("_") as [string, string];
      model.pairWeights.set(pairKey(id(first), id(second)), flat(entries));
    } else model.wordWeights[id(feature)] = flat(entries);
  }
  return model;
}

/** The learned evidence for each diagnosis in `lower`, as an array indexed like `model.classes`; the same sums as
 * adding up `features(lower)`'s weights, capped at the ceiling. */
export function learnedScores(model: EvidenceModel, lower: string): Float64Array {
  const scores = new Float64Array(model.classes.length);
  const add = (entries: Entries | undefined) => {
    if (entries) for (let k = 0; k < entries.length; k += 2) scores[entries[k]!]! += entries[k + 1]!;
  };
  const found = codes(lower);
  for (const [i, code] of found.entries()) if (found.indexOf(code) === i) add(model.codeWeights.get(code));
  // Each word and pair counts once per text; only those the model weighs need remembering.
  const seen = new Set<number>();
  let previous = -1;
  const word = (start: number, end: number, hash: number, digits: boolean) => {
    let n = model.rawWords.get(lower, start, end, hash);
    if (n === undefined) {
      const raw = lower.slice(start, end);
      const classified = classify(raw, digits);
      n = classified === SKIP ? SKIPPED : classified === BREAK ? BREAK_WORD : (model.wordIds.get(classified) ?? UNKNOWN_WORD);
      if (model.rawWords.size < RAW_WORD_CACHE) model.rawWords.set(raw, hash, n);
    }
    if (n === SKIPPED) return;
    // A word the model does not know, like a break, can be part of no pair it knows.
    if (n < 0) {
      previous = -1;
      return;
    }
    const weights = model.wordWeights[n];
    if (weights && !seen.has(n)) {
      seen.add(n);
      add(weights);
    }
    if (previous >= 0) {
      const key = pairKey(previous, n);
      const pair = model.pairWeights.get(key);
      if (pair && !seen.has(key)) {
        seen.add(key);
        add(pair);
      }
    }
    previous = n;
  };
  scan(lower, word);
  for (let i = 0; i < scores.length; i++) if (scores[i]! > model.ceiling) scores[i] = model.ceiling;
  return scores;
}
