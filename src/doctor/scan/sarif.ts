import type { Finding, Severity } from "../findings/define.js";
import { FINDING_KINDS } from "../findings/index.js";
import type { ScanReport } from "./scan.js";

/** How code-scanning tools rank a finding: errors fail a check, warnings and notes annotate. */
const LEVEL: Record<Severity, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note" };
/** GitHub code scanning's `security-severity` (0–10) orders alerts. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0" };

/**
 * The scan as SARIF 2.1.0: one rule per finding kind, one result per finding. A finding concerns a service
 * connection, not a file: its location is the connection's settings page as a path relative to the organization
 * (`uriBaseId` ORGANIZATION, resolved by `originalUriBaseIds`), which code-scanning tools show as a file would be,
 * with the connection as a logical location `{org}/{project}/{connection}`; the finding's stable id is its
 * fingerprint, so re-scans update alerts instead of adding new ones.
 */
export function toSarif(report: ScanReport, options: { organizationUrl: string; version: string }): Record<string, unknown> {
  const kinds = [...FINDING_KINDS.values()];
  const ruleIndex = new Map(kinds.map((k, i) => [k.kind, i]));
  const base = `${options.organizationUrl.replace(/\/$/, "")}/`;
  const result = (f: Finding) => {
    const project = f.connection?.projects[0];
    const where = f.connection
      ? { uri: `${encodeURIComponent(project ?? "")}/_settings/adminservices?resourceId=${f.connection.id}`, name: f.connection.name, qualified: `${report.organization}/${project}/${f.connection.name}` }
      : { uri: "_settings/", name: f.application?.displayName ?? f.application?.appId ?? "application", qualified: `${report.organization}/applications/${f.application?.appId}` };
    return {
      ruleId: f.kind,
      ruleIndex: ruleIndex.get(f.kind),
      level: LEVEL[f.severity],
      message: { text: `${f.title}: ${where.name}. Fix: ${f.fix}` },
      locations: [
        {
          // A connection has no lines; code-scanning tools want a region, so the whole "artifact" is line 1.
          physicalLocation: { artifactLocation: { uri: where.uri, uriBaseId: "ORGANIZATION" }, region: { startLine: 1 } },
          logicalLocations: [{ name: where.name, fullyQualifiedName: where.qualified, kind: "resource" }],
        },
      ],
      partialFingerprints: { "svcconnFindingId/v1": f.id },
      properties: { severity: f.severity, evidence: f.evidence, ...(f.explanation ? { explanation: f.explanation } : {}), ...(f.scope ? { scope: f.scope } : {}) },
    };
  };
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "svcconn doctor",
            version: options.version,
            semanticVersion: options.version,
            informationUri: "https://github.com/svcconn/svcconn",
            rules: kinds.map((k) => ({
              id: k.kind,
              name: k.kind.replace(/(^|-)(\w)/g, (_, _dash: string, c: string) => c.toUpperCase()),
              shortDescription: { text: k.title },
              fullDescription: { text: `${k.title}.${k.explanation ? ` svcconn explain: ${k.explanation}.` : ""}` },
              help: { text: k.fix },
              defaultConfiguration: { level: LEVEL[k.severity] },
              properties: { "security-severity": SECURITY_SEVERITY[k.severity], tags: ["azure", "service-connection", k.severity] },
            })),
          },
        },
        originalUriBaseIds: { ORGANIZATION: { uri: base, description: { text: "The Azure DevOps organization scanned." } } },
        invocations: [{ executionSuccessful: !report.partial, endTimeUtc: report.scannedAt, toolExecutionNotifications: report.notEvaluated.map((n) => ({ level: "warning", message: { text: `${n.connection}: ${n.check}: ${n.reason}` } })) }],
        results: [...report.connections.flatMap((c) => c.findings), ...report.other].map(result),
        properties: { organization: report.organization, projects: report.projects, partial: report.partial },
      },
    ],
  };
}
