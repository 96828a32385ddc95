import { defineFinding } from "./define.js";

export default defineFinding({
  kind: "shared-across-projects",
  severity: "low",
  title: "The connection is shared with other projects",
  explanation: null,
  fix: "Check that every project it is shared with needs it; remove the others (Security > Project permissions).",
  check: ({ connection: c }) => (c.projects.length > 1 ? { evidence: { projects: c.projects.map((p) => p.name) } } : null),
});
