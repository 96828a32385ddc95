import { define, phrase } from "./define.js";

export default define({
  id: "unknown",
  rootCauseClass: null,
  title: "Not recognised as an Azure Resource Manager service connection error",
  spec: ["S17"],
  // What failing pipelines say that is no service connection's doing: build tools, packages, agents, timeouts.
  signals: [
    phrase(["npm err", "error cs", "error ts", "nu1", "nu5", "msb", "mvn", "gradle", "pytest", "assertionerror", "segmentation", "traceback"], /\b(?:npm err!|error cs\d{4}|error ts\d{4}|nu\d{4}|msb\d{4}|mvn|gradle|pytest|assertionerror|segmentation fault|traceback \(most recent call last\))/, 6),
    phrase(["docker", "registry", "pull access", "image not found", "manifest unknown"], /(?:docker|registry|pull access denied|image not found|manifest unknown)/, 4),
    phrase(["ran longer", "no agent found", "agent request", "could not find a pool", "exceeded the timeout"], /(?:ran longer than the maximum time|no agent found in pool|the agent request is not running|could not find a pool|exceeded the timeout)/, 14),
    phrase(["fatal:", "terminal prompts"], /fatal: (?:could not read|repository|unable to access|not a git repository)|terminal prompts disabled/, 8),
    phrase(["unsupported argument", "unexpected value", "syntax error", "could not be parsed", "unexpected token"], /(?:unsupported argument|unexpected value|syntax error|could not be parsed|unexpected token)/, 5),
  ],
  cause: "The text carries no AADSTS code, Azure Resource Manager error code or service connection message that svcconn knows.",
  fix: [
    "Paste the complete error, including any AADSTS code, 'Code:' line or JSON body, and the task's log lines before it.",
    "Check the service connection: Project settings > Service connections > the connection > Edit > Verify, and explain the message Verify reports.",
  ],
  verify: ["Re-run the failing step after the fix."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint"],
});
