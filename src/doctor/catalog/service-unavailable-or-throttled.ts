import { aadsts, define, phrase, webPackageDeployAnswered } from "./define.js";

/**
 * Not the service connection: the service itself failed or refused more calls for now — an incident (Entra's
 * "Request to External OIDC endpoint failed" while a region of Azure DevOps or Entra is degraded), throttling, or a
 * transient error. Retrying later works; changing the connection does not.
 */
export default define({
  id: "service-unavailable-or-throttled",
  rootCauseClass: "other",
  title: "Not the service connection: the service is unavailable or throttling for now",
  spec: ["S17"],
  signals: [
    aadsts(90061, 13),
    aadsts(50166, 13),
    phrase("request to external oidc endpoint failed", /request to external oidc endpoint failed/, 12),
    aadsts(90033, 12),
    // Entra ID stops a client that asks for tokens in a loop: too many requests, not a bad credential.
    aadsts(50196, 12),
    phrase("client request loop", /encountered a client request loop/, 10),
    phrase("a transient error has occurred", /a transient error has occurred/, 10),
    // Azure DevOps' own rate limits (TSTUs per user or pipeline).
    phrase("request was blocked due to exceeding usage", /request was blocked due to exceeding usage of resource/, 14),
    phrase(["toomanyrequests", "too many requests", "rate limit", "throttl", "retry-after"], /toomanyrequests|too many requests|rate limit (?:exceeded|is exceeded)|\bthrottl(?:ed|ing)\b|retry-after/, 11),
    phrase("429", /(?:status(?: code)?[:= ]*429|\(429\)|\b429 too many|http 429)/, 8),
    phrase(["serviceunavailable", "service unavailable", "temporarily unavailable", "unavailable"], /serviceunavailable|service unavailable|temporarily unavailable|service is (?:currently )?unavailable/, 10),
    phrase(["503", "502", "504", "bad gateway", "gateway timeout", "gateway time-out", "gatewaytimeout", "gatewaytime-out"], /(?:status(?: code)?[:= ]*50[234]|\(50[234]\)|\b50[234] (?:service|bad|gateway)|bad gateway|gateway ?time-?out)/, 7),
    // ARM's throttling codes (SubscriptionRequestsThrottled, TenantRequestsThrottled…).
    phrase("requeststhrottled", /\w*requeststhrottled\b/, 12),
    // A write that meets another in flight on the same resource: wait and retry.
    phrase(
      ["another operation", "operation is in progress", "anotheroperationinprogress", "already in progress", "requestconflict", "deploymentactiveanduneditable", "provisioning state is not terminal"],
      /another operation (?:on this or (?:a )?dependent resource |\([^)]{0,40}\) )?is in progress|\b(?:anotheroperationinprogress|requestconflict|deploymentactiveanduneditable)\b|an operation is (?:already )?in progress|deployment is already in progress|provisioning state is not terminal/,
      11,
    ),
    // SQL Server chose the transaction as a deadlock victim: rerun it.
    // App Service's deployment service (Kudu) busy with another deployment, throttling or failing: the tasks' summary with its status.
    webPackageDeployAnswered("(?:conflict|too many requests|internal server error|service unavailable|bad gateway|gateway time-?out) \\(code: (?:409|429|5\\d\\d)\\)", 10),
    phrase("deadlocked on lock resources", /was deadlocked on lock resources/, 10),
    phrase(["internalservererror", "internal server error", "internal error occurred"], /internalservererror|internal server error|an internal error occurred/, 5),
  ],
  cause:
    "The service connection is not what failed: the service answered that it cannot serve the call now — an incident (for a federated connection, Microsoft Entra ID could not reach Azure DevOps' OIDC issuer), throttling after too many calls, or a transient server error.",
  fix: [
    "Check the services' status: https://status.dev.azure.com and https://azure.status.microsoft/ (and your tenant's Service Health in the Azure portal).",
    "Re-run the failed job once the incident is over; for throttling, wait for the Retry-After it names and make fewer calls at once (fewer parallel jobs on the same subscription, caching, an authenticated client where an anonymous one is rate-limited).",
    "Do not rotate secrets or recreate the connection for this error: it is not the connection's.",
  ],
  verify: ["The same step succeeds on a later run without any change to the connection."],
  distinguish: [
    "AADSTS700213/700211 (no matching federated identity record, wrong issuer) do not clear up on their own: those are the connection's federated credential.",
  ],
  references: ["https://status.dev.azure.com", "https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling", "https://learn.microsoft.com/entra/identity-platform/reference-error-codes"],
});
