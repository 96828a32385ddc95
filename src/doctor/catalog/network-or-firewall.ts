import { define, phrase } from "./define.js";

/**
 * Not the service connection: the call never reached the service, or a network rule of the target refused it. Real
 * messages of this kind read like authorization failures (a storage account's or key vault's 403), so the texts
 * that name the network decide.
 */
export default define({
  id: "network-or-firewall",
  rootCauseClass: "other",
  title: "Not the service connection: the network or a firewall blocks the call",
  spec: ["S17"],
  signals: [
    phrase(["could not connect to the remote", "unable to connect to the remote"], /(?:could not|unable to) connect to the remote (?:computer|server)/, 12),
    phrase(["econnrefused", "etimedout", "enotfound", "econnreset", "ehostunreach", "eai_again"], /\b(?:econnrefused|etimedout|enotfound|econnreset|ehostunreach|eai_again)\b/, 10),
    phrase(["getaddrinfo", "name or service not known", "could not resolve host", "no such host", "remote name could not be resolved", "name resolution"], /getaddrinfo|name or service not known|could not resolve host|no such host|remote name could not be resolved|temporary failure in name resolution/, 10),
    phrase(["connection refused", "connection timed out", "connection was forcibly closed", "operation timed out", "socket hang up"], /connection refused|connection timed out|connection was forcibly closed|operation timed out|socket hang up/, 8),
    // Node's, .NET's and Go's clients when an answer never came (a deployment task's "Request timeout: /subscriptions/…").
    phrase(["request timeout", "request timed out", "context deadline exceeded", "dial tcp", "i/o timeout", "request canceled while waiting"], /\brequest timeout\b|request timed out|context deadline exceeded|dial tcp [^ ]*:? ?(?:lookup|i\/o timeout|connect)|\bi\/o timeout\b|request canceled while waiting for connection/, 9),
    // Storage answers a network rule with AuthorizationFailure (a missing data role is AuthorizationPermissionMismatch).
    phrase("authorizationfailure", /code="?authorizationfailure"?|<code>authorizationfailure<\/code>|"code":\s*"authorizationfailure"|errorcode:\s*authorizationfailure/, 11),
    phrase("this request is not authorized to perform this operation.", /this request is not authorized to perform this operation\.(?!\s*using this permission)/, 4),
    // Key Vault's own network refusals.
    phrase(["forbiddenbyfirewall", "client address", "public network access is disabled", "not allowed by the network", "network rules", "ip address"], /forbiddenbyfirewall|client address (?:\([^)]*\) )?is not authorized|public network access is disabled|not allowed by the network|denied by (?:the )?network rules|ip address [^ ]+ is not allowed/, 14),
    phrase(["firewall", "private endpoint", "vnet", "virtual network"], /\bfirewall\b|private endpoint|\bvnet\b|virtual network/, 5),
    // TLS inspection by a proxy or firewall: the agent does not trust the certificate it is shown.
    phrase(["certificate verify failed", "local issuer certificate", "self signed certificate", "self-signed certificate", "unable_to_verify_leaf_signature", "ssl connection could not be established", "sslerror", "wrong_version_number"], /certificate verify failed|unable to get local issuer certificate|self[- ]signed certificate in certificate chain|unable_to_verify_leaf_signature|the ssl connection could not be established|sslerror|wrong_version_number/, 10),
    // The server's own certificate expired or does not match its name: the connection is never reached.
    phrase(["ssl certificate problem", "x509:", "not yet valid", "certificate has expired", "hostname mismatch", "cert_has_expired"], /ssl certificate problem|\bx509: certificate|certificate has expired or is not yet valid|cert_has_expired|hostname mismatch/, 10),
    // A person's words for it: a host the agent cannot reach. (Entra's token endpoint
    // out of reach is the token request's failure: jwt-acquisition-failed, as real messages are labelled.)
    phrase(["reach", "resolve", "connect to"], /(?:cannot|can't|could not|couldn't|unable to|fails? to|failing to) (?:reach|resolve|connect to) (?:the )?(?!login\.|sts\.)[\w-]+\.[\w.-]*(?:com|net|io|us|cn)\b/, 8),
    phrase(["proxy", "407", "tunneling socket"], /proxy authentication required|\b407\b|tunneling socket could not be established|proxyerror/, 9),
    // PostgreSQL refusing the agent's address (its firewall rules: pg_hba.conf on Azure's servers).
    phrase("no pg_hba.conf entry for host", /no pg_hba\.conf entry for host/, 12),
    // SqlClient's words for a server it never reached (a firewall rule, a private endpoint, a wrong name).
    phrase("a network-related or instance-specific error", /a network-related or instance-specific error occurred while establishing a connection to sql server/, 12),
    // Kudu (the deployment site of an App Service) behind access restrictions answers the agent's address so.
    phrase("ip forbidden", /\bip forbidden\b/, 12),
    // Kudu's bare 403 in the App Service tasks' words (see lock-or-policy-denied for their CODE format): access restrictions on the SCM site, usually.
    phrase("forbidden (code: 403)", /\bforbidden \(code: 403\)/, 10),
    phrase(["error_could_not_connect_to_remotesvc", "web management service"], /error_could_not_connect_to_remotesvc|web management service/, 10),
    // The metadata endpoint is the agent's own machine: no answer there is a managed identity the agent does not have.
    phrase(["169.254.169.254", "imds"], /169\.254\.169\.254|\bimds\b/, -10),
    // A data role the principal lacks reads almost the same: storage says which.
    phrase(["authorizationpermissionmismatch", "using this permission"], /authorizationpermissionmismatch|not authorized to perform this operation using this permission/, -20),
  ],
  cause:
    "The service connection is not what failed: the call from the agent did not reach the service, or the service's network rules (a storage account's or key vault's firewall, a private endpoint, an IP allow-list, a proxy) refused the agent's address before any identity or role was looked at.",
  fix: [
    "Find the address the call came from: a Microsoft-hosted agent has a changing address in the Azure region of your organization; a self-hosted agent, its own network's.",
    "Storage account or key vault > Networking: allow the agent's address or virtual network, or 'Allow trusted Microsoft services' where it applies; or run the job on a self-hosted agent inside the network that may reach a private endpoint.",
    "App Service's deployment site (Kudu, <app>.scm.azurewebsites.net) answering 403: the app > Networking > Access restrictions > Advanced tool site: allow the agent's address (or use the main site's rules), or deploy from an agent inside the network of its private endpoint.",
    "For a proxy: set the agent's proxy (.proxy file or VSTS_HTTP_PROXY) and no_proxy for Azure's endpoints as your network requires.",
    "From the agent, test the route: curl -v https://{host} (or Test-NetConnection {host} -Port 443) and nslookup {host}.",
  ],
  verify: ["The same call from the agent reaches the service (curl shows an HTTP answer, not a timeout or a network-rule refusal).", "Re-run the failed step; it gets past the call."],
  distinguish: [
    "A 403 that names an action and a scope (AuthorizationFailed, AuthorizationPermissionMismatch, 'does not have secrets get permission') is a missing role or access policy, not the network.",
  ],
  ambiguities: [
    {
      when: /\bforbidden \(code: 403\)/,
      unless: /ip forbidden|access restriction|private endpoint/,
      reason:
        "Kudu (the app's SCM site) answers 403 when its access restrictions or a private endpoint keep the agent out (the usual case); a task that deploys with a Microsoft Entra token gets it too when the connection's identity has no role on the app.",
      checks: [
        "Azure portal > the app > Networking > Access restrictions (Advanced tool site): is the agent's address allowed? If the SCM site is open, give the connection's identity Website Contributor on the app.",
      ],
    },
  ],
  references: [
    "https://learn.microsoft.com/azure/storage/common/storage-network-security",
    "https://learn.microsoft.com/azure/key-vault/general/network-security",
    "https://learn.microsoft.com/azure/devops/organizations/security/allow-list-ip-url",
  ],
});
