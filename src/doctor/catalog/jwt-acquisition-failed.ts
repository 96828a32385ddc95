import { define, phrase } from "./define.js";

/** A request that got no answer: a timeout, a proxy, name resolution, TLS, a connection refused or reset, an outage. */
const NO_ANSWER = "(?:timed? ?out|proxy|could not be resolved|no such host|name resolution|ssl connection|connection (?:was )?(?:refused|reset|closed)|socket|econn\\w+|etimedout|enotfound|service unavailable|bad gateway|task was canceled|error occurred while sending the request)";
/** Words that put the text about getting a token. */
const ABOUT_A_TOKEN = "(?:token|jwt|microsoftonline|login\\.windows|authenticat|sign-?in|log ?in)";

export default define({
  id: "jwt-acquisition-failed",
  rootCauseClass: "jwt_failure_other",
  title: "Failed to obtain the JWT with the connection's service principal",
  spec: ["S10"],
  signals: [
    phrase("failed to obtain the j", /failed to obtain the (?:json web token ?\(?jwt\)?|jwt)/, 12),
    phrase("service principal client id", /using (?:the )?service principal client id/, 6),
    // The tasks' words: AzureRmWebAppDeployment's "fetch", AzureMysqlDeployment's "retrieve an", AzureNLBManagement's bare one.
    phrase(["access token for azure", "could not fetch access token."], /could not (?:fetch|retrieve) (?:an )?access token for azure|could not fetch access token\. status/, 5),
    phrase("could not fetch access token for aad", /could not fetch access token for aad/, 6),
    phrase("isready", /isready"?\s*[:=]\s*false/, 6),
    phrase("not ready", /service connection (?:is )?not ready/, 6),
    // The token request never got an answer: network, proxy, TLS, name resolution, an outage — when the text is about
    // getting a token. A timeout or a refused connection alone is the network's (or a script's), not the connection's.
    phrase(["timed out", "timeout", "time out", "proxy", "resolv", "no such host", "ssl", "refused", "reset", "closed", "socket", "econn", "etimedout", "enotfound", "unavailable", "bad gateway", "canceled", "sending the request", "timedout", "resolution"], new RegExp(`${ABOUT_A_TOKEN}[\\s\\S]{0,300}?${NO_ANSWER}|${NO_ANSWER}[\\s\\S]{0,300}?${ABOUT_A_TOKEN}`), 6),
    // The wrapper around an AADSTS code: the code names the cause.
    phrase("aadsts", /aadsts\s?\d{5,}/, -12),
  ],
  cause:
    "Azure DevOps could not get a token from Microsoft Entra ID with the connection's credentials. The AADSTS code after 'Exception message' names the reason (expired or wrong secret, app deleted or disabled); without one the credentials are misconfigured or the tenant blocks the sign-in. Connections in this state (isReady=false, or service principal deleted) also vanish from task pickers while still listed in Project settings.",
  fix: [
    "Project settings > Service connections > {connection} > Edit > Verify, and read the AADSTS code it reports.",
    "AADSTS700016: the app was deleted — create a new connection (or update a manual one with a new service principal). AADSTS7000112: enable the enterprise application. AADSTS7000215/7000222: Rotate secret.",
    "If verification succeeds, Save the connection so it becomes Ready again (GET …/_apis/serviceendpoint/endpoints?includeFailed=true shows connections that are not ready).",
  ],
  verify: ["Verify succeeds and the connection shows isReady: true; it appears again in task pickers."],
  distinguish: [
    "Does the message carry an AADSTS code? 700016 → app-not-found, 7000112 → app-disabled, 7000215 → secret-invalid, 7000222 → secret-expired.",
    "Does the connection use workload identity federation with a task that predates it? Then task-lacks-wif-support.",
    "Is the connection a managed identity on a Microsoft-hosted agent? Then managed-identity-unsupported.",
  ],
  ambiguities: [
    {
      // Said alone, the message gives no reason: the guide names an expired secret first ("an expired secret or other
      // issues at the Microsoft Entra ID level"), and real messages are most often that.
      when: /failed to obtain the (?:json web token ?\(?jwt\)?|jwt)/,
      unless: /exception message:|aadsts|error occurred while sending|timed? ?out|proxy|resolv|no such host|ssl|socket|refused|unavailable|canceled|isready/,
      reason: "The message alone does not say why the token was refused: most often the secret expired or is not the secret's value (its ID pasted instead); otherwise the app or its service principal is gone or disabled.",
      checks: [
        "Edit > Verify on the connection and read its 'Exception Message': AADSTS7000222 → secret-expired, 7000215 → secret-invalid, 700016 → app-not-found, 7000112 → app-disabled.",
        "az ad app credential list --id <client id>: a secret whose endDateTime has passed is expired; a secret's hint (its first characters) that differs from the value in the connection means the ID or an old value was pasted.",
      ],
    },
  ],
  scanFindings: ["connection-not-ready"],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#failed-to-obtain-the-jwt-by-using-the-service-principal-client-id"],
});
