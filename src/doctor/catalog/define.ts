/**
 * The shape of a diagnosis: how it is recognised in a pasted error, and what to tell the user. Signals are
 * weighted; a diagnosis's score is the sum of the weights of the signals found in the text.
 */
export interface Signal {
  /** A lower-case literal the text must contain before the pattern is tried (cheap prefilter). */
  needle: string;
  pattern: RegExp;
  /** Evidence for (positive) or against (negative) the diagnosis. */
  weight: number;
}

export interface Diagnosis {
  id: string;
  title: string;
  /** SPEC behaviour ids this diagnosis covers. */
  spec: string[];
  signals: Signal[];
  /** Why it happens. Text may hold {placeholders} filled from the error (see entities.ts). */
  cause: string;
  /** Ordered fix steps: the portal path, then the equivalent CLI or REST call. */
  fix: string[];
  /** How to confirm the fix worked. */
  verify: string[];
  /** What to check when this diagnosis competes with another for the same text. */
  distinguish?: string[];
  references: string[];
}

/** An AADSTS error code, in any of its written forms (`AADSTS7000215`, `error_codes":[7000215]`, `Error(s): 7000215`). */
export function aadsts(code: number, weight = 12): Signal {
  return { needle: String(code), pattern: new RegExp(`(?:aadsts\\s?${code}\\b|error_codes"?\\s*:\\s*\\[\\s*${code}\\b|error\\(s\\):\\s*${code}\\b|errorcode[":\\s]+${code}\\b)`, "i"), weight };
}

/** A phrase, matched case-insensitively on the normalised text (whitespace collapsed, escapes undone). */
export function phrase(needle: string, pattern: RegExp | string, weight = 6): Signal {
  const source = typeof pattern === "string" ? pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+") : pattern.source;
  return { needle: needle.toLowerCase(), pattern: new RegExp(source, "i"), weight };
}

export const define = (diagnosis: Diagnosis): Diagnosis => diagnosis;
