import { type Finding, SEVERITY_ORDER, type Severity } from "../findings/define.js";
import type { ScanReport } from "./scan.js";

const rank = (s: Severity) => SEVERITY_ORDER.indexOf(s);

/** True when the report holds a finding at `threshold` or worse (`--fail-on`). */
export function failsAt(report: ScanReport, threshold: Severity): boolean {
  return SEVERITY_ORDER.some((s) => rank(s) <= rank(threshold) && report.counts[s] > 0);
}

function evidenceLine(evidence: Record<string, unknown>): string {
  const text = Object.entries(evidence)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("; ");
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

function findingLines(f: Finding): string[] {
  return [`  ${f.severity.toUpperCase().padEnd(8)} ${f.kind.padEnd(30)} ${f.title}`, `           evidence: ${evidenceLine(f.evidence)}`, `           fix: ${f.fix}${f.explanation ? ` (svcconn explain: ${f.explanation})` : ""}`];
}

/** The report for people: grouped by connection, worst first, then what the scan could not evaluate. */
export function renderTable(report: ScanReport): string {
  const total = SEVERITY_ORDER.reduce((n, s) => n + report.counts[s], 0);
  const lines = [
    `Scan of ${report.organization} (${report.projects.join(", ")}) at ${report.scannedAt}: ${report.connections.length} connections, ${total} findings (${SEVERITY_ORDER.map((s) => `${s} ${report.counts[s]}`).join(", ")})${report.partial ? " — PARTIAL, see below" : ""}`,
    "",
  ];
  const worst = (findings: Finding[]) => Math.min(...findings.map((f) => rank(f.severity)), SEVERITY_ORDER.length);
  for (const c of [...report.connections].sort((a, b) => worst(a.findings) - worst(b.findings) || a.name.localeCompare(b.name))) {
    const head = `${c.name} (${c.projects.join(", ")}) ${c.scheme}${c.appId ? ` app ${c.appId}` : ""}`;
    if (!c.findings.length) {
      lines.push(`✓ ${head}: no findings`);
      continue;
    }
    lines.push(`● ${head}`);
    for (const f of [...c.findings].sort((a, b) => rank(a.severity) - rank(b.severity))) lines.push(...findingLines(f));
  }
  if (report.other.length) {
    lines.push("", "Not tied to a connection:");
    for (const f of report.other) lines.push(`● ${f.application?.displayName ?? f.application?.appId}`, ...findingLines(f));
  }
  if (report.skipped.length) lines.push("", `Not checked (not Azure Resource Manager): ${report.skipped.map((s) => `${s.name} (${s.type})`).join(", ")}`);
  if (report.notEvaluated.length) {
    lines.push("", "Could not evaluate:");
    for (const n of report.notEvaluated) lines.push(`  ${n.connection}: ${n.check}: ${n.reason}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A one-line progress bar with the connections scanned, the total and the time left. */
export function progressLine(done: number, total: number, elapsedMs: number): string {
  const width = 24;
  const filled = total ? Math.round((done / total) * width) : width;
  const eta = done ? Math.round(((elapsedMs / done) * (total - done)) / 1000) : 0;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} connections, ETA ${eta}s`;
}
