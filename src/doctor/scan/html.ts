import { type Finding, SEVERITY_ORDER, type Severity } from "../findings/define.js";
import type { ScanReport } from "./scan.js";

export interface HtmlOptions {
  organizationUrl: string;
  /** Credentials ending within this many days are drawn as expiring (the scan's `--expiring-days`). */
  expiringDays: number;
}

const DAY = 86_400_000;
const COLOURS: Record<Severity, string> = { critical: "#a4262c", high: "#d83b01", medium: "#8a6d00", low: "#005a9e" };

const escapeHtml = (value: unknown): string =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * The scan as one self-contained HTML file: a summary, findings by severity, and a timeline of secret and
 * certificate expiries. Inline CSS and SVG only: no script, font or image is fetched when it is opened.
 */
export function toHtml(report: ScanReport, options: HtmlOptions): string {
  const now = Date.parse(report.scannedAt);
  const findings = [...report.connections.flatMap((c) => c.findings), ...report.other];
  const total = report.connections.length;
  const tiles = SEVERITY_ORDER.map((s) => `<div class="tile" style="border-color:${COLOURS[s]}"><span class="n">${report.counts[s]}</span> ${s}</div>`).join("");
  const partial = report.partial
    ? `<p class="partial" role="alert">Partial report: ${report.notEvaluated.length} check(s) could not be run (listed at the end).</p>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>svcconn doctor: ${escapeHtml(report.organization)} at ${escapeHtml(report.scannedAt)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#201f1e;max-width:1200px}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #edebe9;padding-bottom:.25rem}
.meta{color:#605e5c}.tiles{display:flex;gap:1rem;margin:1rem 0;flex-wrap:wrap}
.tile{border-left:6px solid;padding:.5rem 1rem;background:#faf9f8;min-width:8rem}.tile .n{font-size:1.6rem;font-weight:600;display:block}
.partial{background:#fff4ce;padding:.5rem 1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #edebe9}
th{background:#f3f2f1}code{font-family:ui-monospace,Consolas,monospace;font-size:.85em}
details summary{cursor:pointer;color:#005a9e}pre{white-space:pre-wrap;word-break:break-all;background:#faf9f8;padding:.5rem;margin:.25rem 0}
.sev{font-weight:600;text-transform:uppercase;font-size:.75rem}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.3rem;vertical-align:middle}
</style>
</head>
<body>
<header>
<h1>Service connections of ${escapeHtml(report.organization)}</h1>
<p class="meta">Scanned at ${escapeHtml(report.scannedAt)} · ${escapeHtml(options.organizationUrl)} · project(s): ${escapeHtml(report.projects.join(", "))} · ${total} connection(s), ${findings.length} finding(s)</p>
</header>
<main>
<section aria-labelledby="summary"><h2 id="summary">Summary</h2>
<div class="tiles">${tiles}</div>${partial}
${report.skipped.length ? `<p class="meta">${report.skipped.length} connection(s) of other types not checked: ${escapeHtml(report.skipped.map((s) => `${s.name} (${s.type})`).join(", "))}</p>` : ""}
</section>
<section aria-labelledby="timeline"><h2 id="timeline">Secret and certificate expiries</h2>
${timeline(report, now, options.expiringDays)}
</section>
<section aria-labelledby="findings"><h2 id="findings">Findings by severity</h2>
${SEVERITY_ORDER.map((s) => severitySection(s, findings.filter((f) => f.severity === s))).join("\n")}
</section>
${notEvaluated(report)}
</main>
</body>
</html>
`;
}

function severitySection(severity: Severity, findings: Finding[]): string {
  if (!findings.length) return "";
  const rows = findings
    .map((f) => {
      const subject = f.connection ? `${escapeHtml(f.connection.name)} <span class="meta">(${escapeHtml(f.connection.projects.join(", "))})</span>` : `application ${escapeHtml(f.application?.displayName ?? f.application?.appId)}`;
      const explain = f.explanation ? `<br><span class="meta">svcconn explain: ${escapeHtml(f.explanation)}</span>` : "";
      return `<tr><td>${subject}</td><td><strong>${escapeHtml(f.title)}</strong><br><code>${escapeHtml(f.id)}</code>${explain}</td><td><details><summary>evidence</summary><pre>${escapeHtml(JSON.stringify(f.evidence, null, 2))}</pre></details></td><td>${escapeHtml(f.fix)}</td></tr>`;
    })
    .join("\n");
  return `<h3><span class="sev" style="color:${COLOURS[severity]}">${severity}</span> (${findings.length})</h3>
<table><thead><tr><th scope="col">Connection</th><th scope="col">Finding</th><th scope="col">Evidence</th><th scope="col">Fix</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function notEvaluated(report: ScanReport): string {
  if (!report.notEvaluated.length) return "";
  const rows = report.notEvaluated.map((n) => `<tr><td>${escapeHtml(n.connection)}</td><td>${escapeHtml(n.check)}</td><td>${escapeHtml(n.reason)}</td></tr>`).join("\n");
  return `<section aria-labelledby="not-evaluated"><h2 id="not-evaluated">Not evaluated</h2>
<table><thead><tr><th scope="col">Connection</th><th scope="col">Check</th><th scope="col">Why</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** At most this many rows in the chart: the soonest expiries; the rest are counted under it. */
const MAX_ROWS = 60;

/** One row per connection with a secret or certificate, a mark where each ends, and today's line. */
function timeline(report: ScanReport, now: number, expiringDays: number): string {
  const rows = report.connections
    .filter((c) => c.expiries?.length)
    .map((c) => ({ name: c.name, marks: c.expiries!.map((e) => ({ ...e, at: Date.parse(e.endDateTime) })).filter((e) => !Number.isNaN(e.at)) }))
    .filter((r) => r.marks.length)
    .map((r) => ({ ...r, newest: Math.max(...r.marks.map((m) => m.at)) }))
    .sort((a, b) => a.newest - b.newest);
  if (!rows.length) return `<p class="meta">No connection signs in with a secret or certificate.</p>`;
  const shown = rows.slice(0, MAX_ROWS);
  const times = shown.flatMap((r) => r.marks.map((m) => m.at));
  // From a month before today (or the oldest expiry) to the latest expiry, at least six months.
  const start = Math.min(now - 30 * DAY, ...times) - 7 * DAY;
  const end = Math.max(now + 180 * DAY, ...times) + 7 * DAY;
  const left = 220;
  const width = 960;
  const rowHeight = 22;
  const top = 30;
  const height = top + shown.length * rowHeight + 10;
  const x = (t: number) => left + ((t - start) / (end - start)) * (width - left - 20);
  const colour = (at: number) => (at <= now ? COLOURS.critical : at - now <= expiringDays * DAY ? COLOURS.medium : "#107c10");

  const ticks: string[] = [];
  const first = new Date(start);
  // A label every 1, 2, 3, 6 or 12 months: at least 70 px apart whatever the span.
  const monthWidth = (30.4 * DAY * (width - left - 20)) / (end - start);
  const step = [1, 2, 3, 6, 12].find((m) => m * monthWidth >= 70) ?? 12 * Math.ceil(70 / (12 * monthWidth));
  const firstMonth = Math.ceil((first.getUTCMonth() + 1) / step) * step;
  for (let month = new Date(Date.UTC(first.getUTCFullYear(), firstMonth, 1)); month.getTime() < end; month = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + step, 1))) {
    const at = x(month.getTime());
    ticks.push(`<line x1="${at}" y1="${top - 6}" x2="${at}" y2="${height - 10}" stroke="#edebe9"/><text x="${at + 2}" y="${top - 10}" font-size="10" fill="#605e5c">${month.toISOString().slice(0, 7)}</text>`);
  }
  const lines = shown.map((r, i) => {
    const y = top + i * rowHeight + rowHeight / 2;
    const marks = r.marks
      .map((m) => `<circle cx="${x(m.at).toFixed(1)}" cy="${y}" r="6" fill="${colour(m.at)}"><title>${escapeHtml(`${r.name}: ${m.kind} ${m.displayName ?? ""} ends ${m.endDateTime}`)}</title></circle>`)
      .join("");
    const label = r.name.length > 30 ? `${r.name.slice(0, 29)}…` : r.name;
    return `<text x="${left - 8}" y="${y + 4}" font-size="12" text-anchor="end">${escapeHtml(label)}</text><line x1="${left}" y1="${y}" x2="${width - 20}" y2="${y}" stroke="#f3f2f1"/>${marks}`;
  });
  const today = x(now);
  const more = rows.length > shown.length ? `<p class="meta">${rows.length - shown.length} more connection(s) with later expiries are not drawn.</p>` : "";
  return `<svg role="img" aria-labelledby="timeline-title" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">
<title id="timeline-title">When each connection's secrets and certificates end; the red line is the scan's date</title>
${ticks.join("")}${lines.join("\n")}
<line x1="${today}" y1="${top - 6}" x2="${today}" y2="${height - 10}" stroke="${COLOURS.critical}" stroke-width="2"/><text x="${today + 3}" y="${height - 12}" font-size="10" fill="${COLOURS.critical}">scan</text>
</svg>
<p class="legend"><span><i style="background:${COLOURS.critical}"></i>expired</span><span><i style="background:${COLOURS.medium}"></i>ends within ${expiringDays} days</span><span><i style="background:#107c10"></i>later</span></p>${more}
<table><caption class="meta">The same dates as a table</caption><thead><tr><th scope="col">Connection</th><th scope="col">Credential</th><th scope="col">Ends</th><th scope="col">Days left</th></tr></thead><tbody>
${rows
  .flatMap((r) => r.marks.map((m) => `<tr><td>${escapeHtml(r.name)}</td><td>${m.kind} ${escapeHtml(m.displayName ?? "")}</td><td>${escapeHtml(m.endDateTime)}</td><td>${Math.floor((m.at - now) / DAY)}</td></tr>`))
  .join("\n")}
</tbody></table>`;
}
