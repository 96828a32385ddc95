import type { FixOptions, FixPlan, Unfixable } from "../fix/steps.js";
import type { ConnectionFacts, ConnectionReport } from "../scan/connection-facts.js";
import type { OrganizationReads, ScanNotes } from "../scan/reads.js";
import type { ProjectInfo, ScanTarget } from "../scan/target.js";

/**
 * The shape of a scan finding: its kind and what it means, the check that finds it (from what the scan's target
 * reads, nothing else) and its fix plan. One module per kind in this folder, registered in `index.ts`.
 */
export type Severity = "critical" | "high" | "medium" | "low";

export const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low"];

/** What a check read, with values: each kind says what its evidence holds. */
export type Evidence = Record<string, unknown>;

export interface Finding<E extends Evidence = Evidence> {
  /** `{kind}/{connection or application id}`: stable across scans. */
  id: string;
  kind: string;
  severity: Severity;
  title: string;
  connection: { id: string; name: string; projects: string[] } | null;
  application: { appId: string; objectId?: string; displayName?: string } | null;
  scope: string | null;
  /** What was read, with values: the finding can be checked by hand from it. */
  evidence: E;
  explanation: string | null;
  fix: string;
}

/** What a check found about one connection; the scan adds the connection, its scope and (by default) its application. */
export interface Found<E extends Evidence = Evidence> {
  evidence: E;
  /** The application it concerns, as read (`null`: none, as for a managed identity). */
  application?: Finding["application"];
  /** A diagnosis more precise than the kind's, named by what was read. */
  explanation?: string;
}

/** What an organization-wide check found: it names its own subject (a connection, or an application without one). */
export interface FoundInOrganization<E extends Evidence = Evidence> extends Found<E> {
  subject: string;
  connection: Finding["connection"];
  scope?: string | null;
}

/** What spans connections: every connection's report so far, and the organization's reads. */
export interface OrganizationFacts {
  target: ScanTarget;
  projects: ProjectInfo[];
  reports: ConnectionReport[];
  reads: OrganizationReads;
  notes: ScanNotes;
}

/** What a fix plan may use beside its finding: the scan's other findings, the time, the caller's choices. */
export interface PlanContext {
  now: Date;
  options: FixOptions;
  findings: Finding[];
}

export interface FindingDefinition<E extends Evidence = Evidence> {
  kind: string;
  severity: Severity;
  title: string;
  /** The `explain` diagnosis that describes the failure this finding causes or predicts. */
  explanation: string | null;
  /** The fix in words (what `plan` does, or what a person must do when there is no plan). */
  fix: string;
  /** One connection's check, reading through `facts`; null when the connection does not have it. */
  check?(facts: ConnectionFacts): Promise<Found<E> | null> | Found<E> | null;
  /** A check across the organization (after every connection's own checks). */
  checkOrganization?(facts: OrganizationFacts): Promise<FoundInOrganization<E>[]> | FoundInOrganization<E>[];
  /** The calls `doctor fix` makes, from the evidence its check gave; without it the fix is reported in words. */
  plan?(finding: Finding<E>, context: PlanContext): FixPlan | Unfixable;
}

/** A finding kind, its evidence's type taken from its check (methods: the registry holds kinds of any evidence). */
export const defineFinding = <E extends Evidence>(definition: FindingDefinition<E>): FindingDefinition<E> => definition;

/** A finding of a kind, about a subject (a connection's or an application's id). */
export function findingOf<E extends Evidence>(kind: FindingDefinition<E>, subject: string, fields: Pick<Finding<E>, "connection" | "application" | "scope" | "evidence"> & { explanation?: string }): Finding<E> {
  const { explanation, ...rest } = fields;
  return { id: `${kind.kind}/${subject}`, kind: kind.kind, severity: kind.severity, title: kind.title, explanation: explanation ?? kind.explanation, fix: kind.fix, ...rest };
}

/** A finding whose fix lacks something it needs. */
export const lacking = (f: Finding): Unfixable => ({ findingId: f.id, reason: `the finding lacks what the fix needs (${f.kind})` });
