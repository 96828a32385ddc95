import type { ConnectionReport } from "../scan/connection-facts.js";
import { defineFinding, type FoundInOrganization } from "./define.js";

/** The applications of the scanned connections (managed identities have none), with the connections using each. */
export function applicationsInUse(reports: ConnectionReport[]): Map<string, ConnectionReport[]> {
  const byApp = new Map<string, ConnectionReport[]>();
  for (const r of reports) if (r.appId && r.scheme !== "ManagedServiceIdentity") byApp.set(r.appId.toLowerCase(), [...(byApp.get(r.appId.toLowerCase()) ?? []), r]);
  return byApp;
}

/** One application behind several connections: each of them gets the finding. */
export default defineFinding({
  kind: "shared-application",
  severity: "medium",
  title: "More than one connection uses the same application",
  explanation: null,
  fix: "Give each connection its own application, so rotating or deleting one does not break the others.",
  checkOrganization: ({ reports }) => {
    const found: FoundInOrganization[] = [];
    for (const [appId, sharing] of applicationsInUse(reports)) {
      if (sharing.length < 2) continue;
      for (const r of sharing) found.push({ subject: r.id, connection: { id: r.id, name: r.name, projects: r.projects }, application: { appId }, scope: null, evidence: { appId, connections: sharing.map((s) => s.name) } });
    }
    return found;
  },
});
