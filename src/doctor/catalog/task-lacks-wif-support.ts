import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "task-lacks-wif-support",
  rootCauseClass: "wif_other",
  title: "The task does not support workload identity federation",
  spec: ["S12", "S19"],
  schemes: ["federation"],
  taskLacks: "federation",
  signals: [
    // No credential sent at all: the task did not pass the federated token (or a certificate) it does not know.
    aadsts(7000216, 9),
    phrase("getassertion", /clientassertioncredential: getassertion/, 10),
    phrase("cannot read propert", /cannot read propert(?:y|ies) (?:of undefined )?\(?(?:reading )?'(?:retrievesecret|serviceprincipalkey|authorization|parameters)'/, 9),
    phrase("service principal used is valid", /verify if the service principal used is valid and not expired/, -6),
    // Go's error for a URL without a scheme: the federated token's request URL was empty (the tool did not get the
    // pipeline's OIDC endpoint) — on its own it is any empty URL.
    phrase("unsupported protocol scheme", /(?:cannot request token|azureadtokenexchange)[\s\S]{0,80}unsupported protocol scheme/, 12),
    phrase("unsupported protocol scheme", /unsupported protocol scheme/, 4),
    phrase("audience=api://azureadtokenexchange", /\?audience=api:\/\/azureadtokenexchange/, 10),
    phrase("support", /(?:task|version)\b.{0,40}(?:does not|doesn't|do not) support (?:workload identity|wif\b|the workloadidentityfederation)/, 12),
    phrase("workloadidentityfederation", /(?:scheme|authentication) .{0,30}workloadidentityfederation.{0,30}(?:not supported|unsupported|is not valid)|unsupported authenti\w* scheme '?workloadidentityfederation/, 12),
    phrase("--federated-token", /unrecognized arguments?:? --federated-token/, 12),
    // The same for Az PowerShell: an Az.Accounts on the agent older than federated sign-in (Connect-AzAccount -FederatedToken).
    phrase("matches parameter name", /a parameter cannot be found that matches parameter name '?federatedtoken/, 12),
    phrase("could not fetch access token for azure", /could not fetch access token for azure\b(?! ?status)/, 5),
    phrase("identity not found", /identity not found/, 4),
    // The compile-time check: the task's input accepts other schemes than the connection's.
    phrase("with authentication scheme", /expects a service (?:connection|endpoint) of type \S+ with authentication scheme .{1,120}? using authentication scheme workloadidentityfederation/, 16),
    // Said in words: a task or tool that does not do workload identity federation, or a listed task version.
    phrase("support", /(?:workload identity|\bwif\b|federat).{0,120}(?:does not|doesn't|do not|don't|not) support|(?:does not|doesn't|do not|don't|not) support\w* .{0,30}(?:workload identity|\bwif\b)/, 7),
    // A tool asked for OIDC that was never handed the job's token or its request URL (Terraform/Pulumi providers,
    // scripts reading SYSTEM_ACCESSTOKEN): the task or step does not pass federation on.
    phrase(["no token and/or request url", "could not find access token, check", "response from oidc endpoint", "arm_use_oidc", "system_oidcrequesturi", "oidc ado", "oidc token"], /no token and\/or request url were configured|oidc ado - could not find access token|\(unauthorized\) response from oidc endpoint|(?:get|fetch|request|obtain)\w* (?:the |an )?oidc token:? .{0,40}status(?: code)?:? 40[134]\b|(?:arm_use_oidc|use_oidc)\b.{0,80}(?:no token|not (?:set|configured))|system_oidcrequesturi (?:is )?(?:not set|missing|empty)/, 11),
    phrase(["@1", "@2", "@3", "@4", "@5", "auth scheme"], /azurefilecopy@[1-5]\b|azurenlbmanagement@1|servicefabricdeploy@1|auth scheme .{0,40} is not supported/, 6),
  ],
  cause:
    "The connection uses workload identity federation, but {task} predates it (or is a task that never learnt it) and tries a secret, a certificate or the instance metadata service instead. Microsoft lists AzureNLBManagement@1, ServiceFabricDeploy@1, ServiceFabricComposeDeploy@0 and AzureFileCopy@1–5 as without it; AzureCLI@2 learnt it in 2.217 and AzurePowerShell@5 (on Linux) in 5.224, so a pinned older version or an old Azure DevOps Server lacks it; the Terraform extensions' tasks have it from TerraformTaskV4@4 and TerraformCLI@2.",
  fix: [
    "Use {taskUpgrade|a task version that supports workload identity federation} (for example AzureFileCopy@6, AzureCLI@2, AzurePowerShell@5, TerraformTaskV4@4); unpin a pinned version (AzureCLI@2.208.0 → AzureCLI@2), or update the Azure CLI on a self-hosted agent to 2.30 or later for --federated-token.",
    "If the task has no such version, use a service connection with a secret or certificate for that task, or call the tool from AzureCLI@2 with addSpnToEnvironment: true (it exposes idToken for the tool's OIDC sign-in).",
  ],
  verify: ["Re-run the pipeline; the task log shows it acquiring a federated token (az login --federated-token, or ARM_USE_OIDC for Terraform)."],
  distinguish: [
    "Does the connection use workload identity federation? If it is a managed identity on a Microsoft-hosted agent, see managed-identity-unsupported; with a secret, see secret-invalid/secret-expired.",
  ],
  scanFindings: ["task-without-federation"],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
