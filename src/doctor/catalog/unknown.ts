import { define } from "./define.js";

export default define({
  id: "unknown",
  rootCauseClass: null,
  title: "Not recognised as an Azure Resource Manager service connection error",
  spec: ["S17"],
  // Nothing speaks for it: it is the answer when no diagnosis gathers enough evidence. Its corpus (generic failure
  // summaries: "exited with code 1") teaches the learned model what says nothing about a cause.
  signals: [],
  cause: "The text carries no AADSTS code, Azure Resource Manager error code or service connection message that svcconn knows.",
  fix: [
    "Paste the complete error, including any AADSTS code, 'Code:' line or JSON body, and the task's log lines before it.",
    "Check the service connection: Project settings > Service connections > the connection > Edit > Verify, and explain the message Verify reports.",
  ],
  verify: ["Re-run the failing step after the fix."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint"],
});
