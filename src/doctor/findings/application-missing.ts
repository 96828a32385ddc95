import { defineFinding } from "./define.js";

export default defineFinding({
  kind: "application-missing",
  severity: "critical",
  title: "The connection's application does not exist in the directory",
  explanation: "app-not-found",
  fix: "Create a new connection (or point a manual one at an existing application) and delete this one.",
  check: async (facts) => ((await facts.application())?.missing ? { evidence: { appId: facts.connection.appId, tenantId: facts.connection.tenantId } } : null),
});
