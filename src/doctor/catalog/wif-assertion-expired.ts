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
    // ARM's side of a step that outlived its token: one it got from a federated token cannot be renewed once the
    // assertion has expired (long Terraform applies, long scripts).
    phrase(["expiredauthenticationtoken", "is earlier than current utc time"], /\bexpiredauthenticationtoken\b|the access token expiry utc time .{0,40} is earlier than current utc time/, 10),
  ],
  cause:
    "Microsoft Entra ID received the workload identity federation token (client assertion) after its lifetime: tokens issued by Azure DevOps live minutes, so a script that asks for an Azure token long after the task started (or a long-running job that caches the assertion) presents an expired one. Clock skew on a self-hosted agent can also cause it. Azure Resource Manager's ExpiredAuthenticationToken is the same limit one step later: the access token obtained with the federated token expired during a long step, and a new one cannot be obtained without a fresh federated token.",
  fix: [
    "Acquire Azure tokens early in the task, or re-run the AzureCLI/AzurePowerShell step so a fresh assertion is fetched.",
    "For jobs longer than about an hour, use a managed identity with workload identity federation (its tokens last about 24 hours) or split the job.",
    "On a self-hosted agent, make sure its clock is synchronised (NTP).",
  ],
  verify: ["Re-run the pipeline; the step authenticates within the assertion's lifetime."],
  ambiguities: [
    {
      when: /expiredauthenticationtoken|is earlier than current utc time/,
      unless: /federat|oidc|workload identity|700024/,
      reason:
        "Azure Resource Manager refused an access token that had expired: with a workload identity federation connection, a step that ran longer than the token it could get (it cannot be renewed once the federated token has expired); with a secret, a script that reused a token it fetched earlier (az account get-access-token, Get-AzAccessToken) instead of asking again.",
      checks: [
        "Which scheme does the connection use, and how long had the step run when it failed? Federation and over an hour: split the step or use a managed identity; a secret: fetch the token where it is used.",
      ],
    },
  ],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
