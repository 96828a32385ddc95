import { existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import tl from "azure-pipelines-task-lib/task.js";
import { expiredSecretMessage, jobOidcToken, LOGIN_FAILED, type LoginState, MSI_LOGIN_FAILED, perInvocationConfigDir, removeConfigDir, setActiveCloud, spnEnvironment, throwIfError } from "../lib/azure-cli-login.js";

/**
 * AzureCLI@1 as the real task behaves on Linux (microsoft/azure-pipelines-tasks Tasks/AzureCLIV1/azureclitask.ts,
 * docs/reference/pipelines.md §1.5): a bash script only (inline or a file, whose folder is the default working
 * directory), `az --version` printed, the per-invocation configuration, `az cloud set`, then the login — a service
 * principal without `--allow-no-subscriptions`, so a principal with no role anywhere fails it — `az account set`,
 * the script with its `args`, `az account clear`. Failures in the task's words, as AzureCLI@2's.
 */

interface Session extends LoginState {
  loggedIn: boolean;
}

async function loginAzureRM(connection: string, session: Session): Promise<void> {
  const scheme = (tl.getEndpointAuthorizationScheme(connection, true) ?? "").toLowerCase();
  const subscriptionId = tl.getEndpointDataParameter(connection, "SubscriptionID", true);
  const servicePrincipalId = tl.getEndpointAuthorizationParameter(connection, "serviceprincipalid", false) ?? "";
  const tenantId = tl.getEndpointAuthorizationParameter(connection, "tenantid", false) ?? "";
  if (scheme === "serviceprincipal") {
    let password: string;
    if (tl.getEndpointAuthorizationParameter(connection, "authenticationType", true) === "spnCertificate") {
      password = join(tl.getVariable("Agent.TempDirectory") ?? tl.getVariable("system.DefaultWorkingDirectory") ?? ".", "spnCert.pem");
      writeFileSync(password, tl.getEndpointAuthorizationParameter(connection, "servicePrincipalCertificate", false) ?? "");
      session.certificatePath = password;
    } else {
      password = tl.getEndpointAuthorizationParameter(connection, "serviceprincipalkey", false) ?? "";
      session.servicePrincipalKey = password;
    }
    Object.assign(session, { servicePrincipalId, tenantId });
    const escaped = password.replace(/"/g, '\\"');
    tl.setSecret(escaped.replace(/\\/g, '"'));
    throwIfError(tl.execSync("az", `login --service-principal -u "${servicePrincipalId}" --password="${escaped}" --tenant "${tenantId}"`), LOGIN_FAILED);
  } else if (scheme === "managedserviceidentity") {
    throwIfError(tl.execSync("az", "login --identity"), MSI_LOGIN_FAILED);
  } else if (scheme === "workloadidentityfederation") {
    const federatedToken = (await jobOidcToken(connection)) ?? "";
    tl.setSecret(federatedToken);
    throwIfError(tl.execSync("az", `login --service-principal -u "${servicePrincipalId}" --tenant "${tenantId}" --allow-no-subscriptions --federated-token "${federatedToken}"`), LOGIN_FAILED);
    Object.assign(session, { servicePrincipalId, federatedToken, tenantId });
  } else {
    throw `Auth Scheme ${tl.getEndpointAuthorizationScheme(connection, true)} is not supported`;
  }
  session.loggedIn = true;
  throwIfError(tl.execSync("az", `account set --subscription "${subscriptionId}"`), "Error in setting up subscription");
}

/** The script to run: the file named, or the inline script written to Agent.TempDirectory (removed afterwards). */
function scriptOf(): { path: string; inline: boolean; cwd: string } {
  let cwd = tl.getPathInput("cwd", true, false) ?? process.cwd();
  if (tl.getInput("scriptLocation", false) === "scriptPath") {
    const path = tl.getPathInput("scriptPath", true, true) ?? "";
    // Without a working directory of its own, a script file runs in its folder, as every script task does.
    if (!tl.filePathSupplied("cwd")) cwd = dirname(path);
    return { path, inline: false, cwd };
  }
  const path = join(tl.getVariable("Agent.TempDirectory") ?? ".", `azureclitaskscript${Date.now()}.sh`);
  writeFileSync(path, tl.getInput("inlineScript", true) ?? "");
  return { path, inline: true, cwd };
}

async function run(): Promise<void> {
  const session: Session = { loggedIn: false };
  let configDir: string | undefined;
  let script: ReturnType<typeof scriptOf> | undefined;
  let failure: unknown = null;
  const connection = tl.getInput("connectedServiceNameARM", true) ?? "";
  try {
    const bash = tl.tool(tl.which("bash", true));
    script = scriptOf();
    const failOnStdErr = tl.getBoolInput("failOnStandardError", false);
    tl.mkdirP(script.cwd);
    tl.cd(script.cwd);
    bash.arg(script.path);
    throwIfError(tl.execSync("az", "--version"));
    if (!tl.getBoolInput("useGlobalConfig", false)) configDir = perInvocationConfigDir();
    setActiveCloud(connection);
    await loginAzureRM(connection, session);
    bash.line(tl.getInput("args", false) ?? "");
    await bash.exec({ failOnStdErr, env: { ...process.env, ...spnEnvironment(connection, session) } as Record<string, string> });
  } catch (error) {
    failure = (error as { stderr?: string })?.stderr ? (error as { stderr: string }).stderr : error;
  } finally {
    if (script?.inline && existsSync(script.path)) rmSync(script.path, { force: true });
    if (session.certificatePath) tl.rmRF(session.certificatePath);
    if (failure) {
      const message = typeof failure === "string" && failure.includes("AADSTS7000222") ? expiredSecretMessage(connection) : `Script failed with error: ${failure}`;
      tl.setResult(tl.TaskResult.Failed, message);
    } else tl.setResult(tl.TaskResult.Succeeded, "Script exited with return code: 0");
    if (session.loggedIn) tl.execSync("az", " account clear");
    removeConfigDir(configDir);
  }
}

if (!tl.which("az", false)) tl.setResult(tl.TaskResult.Failed, "Azure CLI 2.x is not installed on this machine.");
else await run();
