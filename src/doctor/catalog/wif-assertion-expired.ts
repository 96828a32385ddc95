import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "wif-assertion-expired",
  rootCauseClass: "wif_other",
  title: "The federated token was used after it expired",
  spec: ["S19"],
  schemes: ["federation"],
  signals: [
    aadsts(700024, 14),
    phrase("not within its valid time range", /client assertion is not within its valid time range/, 12),
    phrase("expiry time of assertion", /expiry time of assertion/, 6),
  ],
  cause:
    "Microsoft Entra ID received the workload identity federation token (client assertion) after its lifetime: tokens issued by Azure DevOps live minutes, so a script that asks for an Azure token long after the task started (or a long-running job that caches the assertion) presents an expired one. Clock skew on a self-hosted agent can also cause it.",
  fix: [
    "Acquire Azure tokens early in the task, or re-run the AzureCLI/AzurePowerShell step so a fresh assertion is fetched.",
    "For jobs longer than about an hour, use a managed identity with workload identity federation (its tokens last about 24 hours) or split the job.",
    "On a self-hosted agent, make sure its clock is synchronised (NTP).",
  ],
  verify: ["Re-run the pipeline; the step authenticates within the assertion's lifetime."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
