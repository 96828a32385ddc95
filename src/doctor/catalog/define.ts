import { AZURE_RM_CONNECTION_INPUTS } from "../../core/tasks/catalog.js";
import type { ConnectionScheme } from "../../core/tasks/schemes.js";
import type { Entities } from "../entities.js";

/**
 * The shape of a diagnosis: how it is recognised in a pasted error, and what to tell the user. Signals are
 * weighted; a diagnosis's score is the sum of the weights of the signals found in the text.
 */
export interface Signal {
  /** Lower-case literals, one of which the text must contain before the pattern is tried (a cheap prefilter): every wording the pattern accepts contains one. */
  needles: string[];
  pattern: RegExp;
  /** Evidence for (positive) or against (negative) the diagnosis. */
  weight: number;
}

/**
 * The root-cause classes real messages are labelled with (../shared/explain-real): several diagnoses may share one;
 * `other` is "not caused by the service connection".
 */
export const ROOT_CAUSE_CLASSES = [
  "guest_permission",
  "cannot_register_apps",
  "session_token_expired",
  "no_active_subscription_multitenant",
  "role_assignment_failed",
  "subscription_not_listed",
  "secret_expired_or_invalid",
  "sp_deleted",
  "app_disabled",
  "jwt_failure_other",
  "subscription_variable_not_passed",
  "managed_identity_unsupported",
  "authorization_failed_rbac",
  "pipeline_not_authorized",
  "delete_failed",
  "wif_issuer_subject_mismatch",
  "wif_other",
  "other",
] as const;
export type RootCauseClass = (typeof ROOT_CAUSE_CLASSES)[number];

/** Whether an answer of this class names a cause in the service connection (not `other`, not unrecognised). */
export const blamesConnection = (rootCauseClass: RootCauseClass | null): boolean => rootCauseClass !== null && rootCauseClass !== "other";

export interface Diagnosis {
  id: string;
  /** The root-cause class it belongs to (null only for `unknown`, which names no cause). */
  rootCauseClass: RootCauseClass | null;
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
  /** Identifiers in the text that speak for the diagnosis (an action and a scope; a user where a principal was expected). */
  entities?: Array<{ entity: keyof Entities; pattern?: RegExp; weight: number }>;
  /** The connection schemes this cause happens with: a connection known to use another speaks against it. */
  schemes?: ConnectionScheme[];
  /** The cause is a task version without this scheme: the task a log names, and whether it has it, decide. */
  taskLacks?: ConnectionScheme;
  /** What to check when this diagnosis competes with another for the same text. */
  distinguish?: string[];
  /** The `doctor scan` findings that show this cause on a connection (what to run when the text alone cannot decide). */
  scanFindings?: string[];
  /** Texts this diagnosis wins that still leave another explanation open: said plainly, with what to check (patterns in lower case). */
  ambiguities?: Array<{ when: RegExp; unless?: RegExp; reason: string; checks: string[] }>;
  references: string[];
}

/** An AADSTS error code, in any of its written forms (`AADSTS7000215`, `error_codes":[7000215]`, `Error(s): 7000215`). */
export function aadsts(code: number, weight = 12): Signal {
  return { needles: [String(code)], pattern: new RegExp(`(?:aadsts\\s?${code}\\b|error_codes"?\\s*:\\s*\\[\\s*${code}\\b|error\\(s\\):\\s*${code}\\b|errorcode[":\\s]+${code}\\b)`), weight };
}

/**
 * A phrase, matched on the normalised, lower-cased text (whitespace collapsed, escapes undone): patterns are
 * written in lower case, which is faster to match than a case-insensitive pattern.
 */
export function phrase(needle: string | string[], pattern: RegExp | string, weight = 6): Signal {
  const source = typeof pattern === "string" ? pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+") : pattern.source;
  const needles = (Array.isArray(needle) ? needle : [needle]).map((n) => n.toLowerCase());
  if (needles.some((n) => n === "")) throw new Error(`a signal needs a needle: ${source}`);
  if (/[A-Z]/.test(source.replace(/\\[A-Za-z]/g, ""))) throw new Error(`a signal's pattern is written in lower case: ${source}`);
  return { needles, pattern: new RegExp(source), weight };
}

/**
 * Wordings two diagnoses read in opposite directions (one counts them for itself, the other against), written once.
 * Failing to delete the connection's application or service principal is a clean-up that failed, whatever refused it.
 */
export const deletingTheApplication = (weight: number): Signal =>
  phrase(["failed to delete", "failed to remove", "unable to delete", "unable to remove"], /(?:failed|unable) to (?:delete|remove) (?:the )?(?:app|application|service principal)\b/, weight);

/** The protected resources a pipeline can be refused besides its service connections, in Azure DevOps' words. */
export const OTHER_PIPELINE_RESOURCE = "(?:environment|variable group|secure file|repository|agent queue)";

/** Azure DevOps refusing a pipeline resource that is no service connection, in the words it uses for one. */
export const otherPipelineResourceRefused = (weight: number): Signal =>
  phrase(
    ["does not exist or has not been authorized for use", "does not exist or is not authorized for use"],
    new RegExp(`the ${OTHER_PIPELINE_RESOURCE} does not exist or (?:has not been|is not) authorized for use`),
    weight,
  );

/**
 * App Service's deployment summary with the status Kudu answered (`Failed to deploy web package to App Service.
 * Conflict (CODE: 409)`): the status says more than the summary, which alone names no cause.
 */
export const webPackageDeployAnswered = (status: string, weight: number): Signal =>
  phrase("failed to deploy web package", new RegExp(`failed to deploy web package (?:using onedeploy )?to app service\\.? ${status}`), weight);

/** The names task inputs give an Azure Resource Manager connection, as a pattern's alternation (the tasks' own input names). */
export const CONNECTION_INPUT = `(?:${AZURE_RM_CONNECTION_INPUTS.join("|")})\\b`;

export const define = (diagnosis: Diagnosis): Diagnosis => diagnosis;
