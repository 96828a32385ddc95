import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import tl from "azure-pipelines-task-lib/task.js";
import { ConnectionCredentials } from "../lib/arm-credentials.js";

/**
 * AzurePowerShell@5 on a Linux agent (microsoft/azure-pipelines-tasks Tasks/AzurePowerShellV5, docs/reference/
 * pipelines.md §1.7): the Node handler's lines, then the sign-in its InitializeAz.ps1 makes per scheme —
 * `Connect-AzAccount` with the secret or the job's OIDC token, `Set-AzContext` on the connection's subscription —
 * with the texts Az.Accounts and PowerShell print when it fails, and the task's own refusals of certificates and
 * managed identities on non-Windows agents. PowerShell and the Az modules are not installed where svcconn runs
 * (Debian ships neither), so svcconn makes that sign-in itself, against the same endpoints, and the script is not
 * run: the log says so and the step ends succeeded with issues.
 */

/** The task's folder on an agent: name_id/version (the catalog's version). */
const TASK_FOLDER = "AzurePowerShell_72a1931b-effb-4d2e-8fd8-f8472a07cb62/5.279.2";

/** Where InitializeAz.ps1 throws or calls each cmdlet (its lines in the task's source), for PowerShell's error view. */
const SOURCE = {
  spnCatch: { line: 95, text: '        throw (New-Object System.Exception("There was an error with the service principal used for the deployment.", $_.Exception))' },
  setContext: { line: 104, text: "        $null = Set-AzContext -SubscriptionId $SubscriptionId @additional" },
  federatedConnect: { line: 113, text: "    $null = Connect-AzAccount -ServicePrincipal -Tenant $endpointObject.tenantId -ApplicationId $endpointObject.servicePrincipalClientID `" },
  federatedContext: { line: 118, text: "        $null = Set-AzContext -SubscriptionId $endpointObject.subscriptionID -TenantId $endpointObject.tenantId" },
  scheme: { line: 132, text: '    throw ("Only SPN credential and WorkloadIdentityFederation auth schemes are supported for non windows agent.")' },
};

/**
 * The task's messages for a bad `errorActionPreference` or script path are keys its task.json lacks: the task
 * library warns and uses the key itself, formatted with the value.
 */
function missingLocString(key: string, value: string): string {
  tl.warning(`Can't find loc string for key: ${key}`);
  return `${key} ${value}`;
}

/** Why PowerShell stopped: its exit code ends the task as the Node handler reports it. */
class PowerShellStopped extends Error {}

/** PowerShell 7's concise error view of an error raised at a line of InitializeAz.ps1. */
function printError(command: string, at: { line: number; text: string }, message: string): never {
  const file = `${dirname(tl.getVariable("Agent.TempDirectory") ?? "/")}/_tasks/${TASK_FOLDER}/InitializeAz.ps1`;
  const number = String(at.line);
  const code = at.text.trimStart();
  const indent = at.text.length - code.length;
  const lines = [`${command}: ${file}:${number}`, `Line |`, `${number.padStart(4)} |  ${at.text}`, `     |  ${" ".repeat(indent)}${"~".repeat(Math.min(code.length, 60))}`];
  for (const line of message.split(/\r?\n/)) lines.push(`     | ${line}`);
  console.log(lines.join("\n"));
  throw new PowerShellStopped();
}

/** Azure.Identity's failure text over MSAL.NET's: an `invalid_client` answer gets MSAL's configuration preamble. */
function credentialFailure(credential: string, error: Record<string, unknown>): string {
  const description = String(error.error_description ?? "");
  const preamble =
    error.error === "invalid_client"
      ? "A configuration issue is preventing authentication - check the error message from the server for details. You can modify the configuration in the application registration portal. See https://aka.ms/msal-net-invalid-client for details.  Original exception: "
      : "";
  return `${credential} authentication failed: ${preamble}${description}`;
}

/** `Set-AzContext -SubscriptionId`: the subscription must be one the signed-in principal can see. */
async function setContext(credentials: ConnectionCredentials, token: string, at: { line: number; text: string }): Promise<void> {
  const response = await fetch(`${credentials.armUrl.replace(/\/+$/, "")}/subscriptions?api-version=2022-12-01`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json().catch(() => ({}))) as { value?: Array<{ subscriptionId: string }> };
  const visible = (body.value ?? []).some((s) => s.subscriptionId.toLowerCase() === credentials.subscriptionId.toLowerCase());
  if (!visible) printError("Set-AzContext", at, "Please provide a valid tenant or a valid subscription.");
}

async function signIn(connection: string, credentials: ConnectionCredentials, federatedToken: string | undefined): Promise<void> {
  const environment = tl.getEndpointDataParameter(connection, "environment", true) ?? "AzureCloud";
  const scopeLevel = tl.getEndpointDataParameter(connection, "scopeLevel", true) ?? "Subscription";
  const tenant = credentials.tenantId;
  console.log("##[command]Clear-AzContext -Scope Process");
  console.log("##[command]Clear-AzContext -Scope CurrentUser -Force -ErrorAction SilentlyContinue");
  if (credentials.scheme === "ServicePrincipal") {
    if (credentials.usesCertificate) {
      console.log("Exception is : Only SPNKey auth type is supported for ServicePrincipal auth scheme using non windows agent.");
      printError("Exception", SOURCE.spnCatch, "There was an error with the service principal used for the deployment.");
    }
    console.log(`##[command]Connect-AzAccount -ServicePrincipal -Tenant ${tenant} -Credential System.Management.Automation.PSCredential -Environment ${environment} @processScope`);
    const answer = await credentials.tokenResponse();
    if (!("token" in answer)) {
      console.log(`Exception is : ${credentialFailure("ClientSecretCredential", answer.error)}`);
      printError("Exception", SOURCE.spnCatch, "There was an error with the service principal used for the deployment.");
    }
    if (scopeLevel !== "Subscription") return;
    console.log(`##[command] Set-AzContext -SubscriptionId ${credentials.subscriptionId} -TenantId ${tenant}`);
    await setContext(credentials, answer.token, SOURCE.setContext);
  } else if (credentials.scheme === "WorkloadIdentityFederation") {
    console.log(`##[command] Connect-AzAccount -ServicePrincipal -Tenant ${tenant} -ApplicationId ${credentials.clientId} -FederatedToken ***** -Environment ${environment} -Scope Process`);
    const answer = await credentials.tokenResponse(federatedToken);
    if (!("token" in answer)) {
      printError("Connect-AzAccount", SOURCE.federatedConnect, credentialFailure("ClientAssertionCredential", answer.error));
    }
    if (scopeLevel === "ManagementGroup") return;
    console.log(`##[command] Set-AzContext -SubscriptionId ${credentials.subscriptionId} -TenantId ${tenant}`);
    await setContext(credentials, answer.token, SOURCE.federatedContext);
  } else {
    printError("Exception", SOURCE.scheme, "Only SPN credential and WorkloadIdentityFederation auth schemes are supported for non windows agent.");
  }
}

async function run(): Promise<void> {
  const env = process.env;
  const hostEnvironment = `ADO/AzurePowerShell@v5_${env.AGENT_OS ?? ""}_${env.AGENT_NAME ?? ""}_${env.BUILD_DEFINITIONNAME ?? ""}_${env.BUILD_BUILDID ?? ""}_${env.RELEASE_DEFINITIONNAME ?? ""}_${env.RELEASE_RELEASEID ?? ""}`;
  console.log(`AZUREPS_HOST_ENVIRONMENT: ${hostEnvironment}`);
  const preference = tl.getInput("errorActionPreference", false) || "Stop";
  if (!["STOP", "CONTINUE", "SILENTLYCONTINUE"].includes(preference.toUpperCase())) throw new Error(missingLocString("JS_InvalidErrorActionPreference", preference));
  const scriptType = tl.getInput("ScriptType", true) ?? "";
  const scriptPath = tl.getPathInput("ScriptPath", false, false);
  const connection = tl.getInput("ConnectedServiceNameARM", true) ?? "";
  const credentials = new ConnectionCredentials(connection);
  if (scriptType.toUpperCase() === "FILEPATH" && !(scriptPath && existsSync(scriptPath) && statSync(scriptPath).isFile() && /\.ps1$/i.test(scriptPath))) {
    throw new Error(missingLocString("JS_InvalidFilePath", scriptPath ?? ""));
  }
  console.log("Generating script.");
  const federatedToken = credentials.scheme === "WorkloadIdentityFederation" ? await credentials.federatedToken() : undefined;
  if (scriptType.toUpperCase() === "FILEPATH") console.log(`Formatted command: ${`. '${scriptPath!.replace(/'/g, "''")}' ${tl.getInput("ScriptArguments", false) ?? ""}`.trim()}`);
  try {
    await signIn(connection, credentials, federatedToken);
  } catch (error) {
    if (error instanceof PowerShellStopped) {
      tl.setResult(tl.TaskResult.Failed, "PowerShell exited with code '1'.");
      return;
    }
    throw error;
  }
  tl.warning("svcconn signed in as this task does (Connect-AzAccount, Set-AzContext), but did not run the script: PowerShell and the Az modules are not installed on this agent.");
  tl.setResult(tl.TaskResult.SucceededWithIssues, "The Azure sign-in succeeded; the script was not run.");
}

run().catch((error) => tl.setResult(tl.TaskResult.Failed, (error instanceof Error ? error.message : String(error)) || "run() failed"));
