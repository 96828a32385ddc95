import { writeFileSync } from "node:fs";
import { join } from "node:path";
import tl from "azure-pipelines-task-lib/task.js";
import { expiredSecretMessage, jobOidcToken, LOGIN_FAILED, type LoginState, MSI_LOGIN_FAILED, perInvocationConfigDir, removeConfigDir, setActiveCloud, spnEnvironment, throwIfError } from "../lib/azure-cli-login.js";

/**
 * AzureCLI@2 as the real task behaves (microsoft/azure-pipelines-tasks Tasks/AzureCLIV2, docs/reference/pipelines.md
 * §1.5): a per-invocation Azure CLI configuration, the endpoint's cloud, a login per scheme with the same commands,
 * the subscription, the script, `az account clear`; failures end with the task's own `##[error]` lines. The one
 * svcconn step: the cloud the connection names points at svcconn in that private configuration (until the proxy
 * of real-host mode, az cannot be told another host for AzureCloud).
 */

async function loginAzureRM(connection: string, state: LoginState): Promise<void> {
  const scheme = tl.getEndpointAuthorizationScheme(connection, true) ?? "";
  const subscriptionId = tl.getEndpointDataParameter(connection, "SubscriptionID", true);
  const visible = tl.getBoolInput("visibleAzLogin", true);
  const output = visible ? "" : " --output none";
  // Read per scheme, as the task does: a managed identity connection has no service principal id.
  const servicePrincipal = () => ({
    servicePrincipalId: tl.getEndpointAuthorizationParameter(connection, "serviceprincipalid", false) ?? "",
    tenantId: tl.getEndpointAuthorizationParameter(connection, "tenantid", false) ?? "",
  });
  if (scheme.toLowerCase() === "workloadidentityfederation") {
    const { servicePrincipalId, tenantId } = servicePrincipal();
    const federatedToken = await jobOidcToken(connection);
    tl.setSecret(String(federatedToken));
    throwIfError(tl.execSync("az", `login --service-principal -u "${servicePrincipalId}" --tenant "${tenantId}" --allow-no-subscriptions --federated-token "${federatedToken}"${output}`), LOGIN_FAILED);
    Object.assign(state, { servicePrincipalId, federatedToken, tenantId });
    process.env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID = connection;
    process.env.AZURESUBSCRIPTION_CLIENT_ID = servicePrincipalId;
    process.env.AZURESUBSCRIPTION_TENANT_ID = tenantId;
  } else if (scheme.toLowerCase() === "serviceprincipal") {
    const { servicePrincipalId, tenantId } = servicePrincipal();
    const authType = tl.getEndpointAuthorizationParameter(connection, "authenticationType", true);
    let password: string;
    // Debian's az (2.45) predates --certificate (2.66): the certificate path goes in --password, as the task does there.
    const authParam = "--password";
    if (authType === "spnCertificate") {
      tl.debug("certificate based endpoint");
      password = join(tl.getVariable("Agent.TempDirectory") ?? tl.getVariable("system.DefaultWorkingDirectory") ?? ".", "spnCert.pem");
      writeFileSync(password, tl.getEndpointAuthorizationParameter(connection, "servicePrincipalCertificate", false) ?? "");
      state.certificatePath = password;
    } else {
      tl.debug("key based endpoint");
      password = tl.getEndpointAuthorizationParameter(connection, "serviceprincipalkey", false) ?? "";
      state.servicePrincipalKey = password;
    }
    const escaped = password.replace(/"/g, '\\"');
    tl.setSecret(escaped.replace(/\\/g, '"'));
    Object.assign(state, { servicePrincipalId, tenantId });
    throwIfError(tl.execSync("az", `login --service-principal -u "${servicePrincipalId}" ${authParam}="${escaped}" --tenant "${tenantId}" --allow-no-subscriptions${output}`), LOGIN_FAILED);
  } else if (scheme.toLowerCase() === "managedserviceidentity") {
    throwIfError(tl.execSync("az", `login --identity${output}`), MSI_LOGIN_FAILED);
  } else {
    throw `Auth Scheme ${scheme} is not supported`;
  }
  if (subscriptionId) throwIfError(tl.execSync("az", `account set --subscription "${subscriptionId}"`), "Error in setting up subscription");
}

async function run(): Promise<void> {
  let toolError: unknown = null;
  let exitCode = 0;
  let loggedIn = false;
  let configDir: string | undefined;
  const state: Parameters<typeof loginAzureRM>[1] = {};
  const connection = tl.getInput("connectedServiceNameARM", true) ?? "";
  try {
    const scriptType = (tl.getInput("scriptType", true) ?? "").toLowerCase();
    const location = (tl.getInput("scriptLocation", true) ?? "").toLowerCase();
    if (location !== "inlinescript" && location !== "scriptpath") throw `${tl.getInput("scriptLocation")} is not a valid value for task input 'Script Location' (scriptLocation in YAML). Value can either be'inlineScript' or 'scriptPath'`;
    const shell = scriptType === "bash" || scriptType === "sh" ? tl.which("bash", true) : tl.which(scriptType === "batch" ? "cmd" : "pwsh", true);
    let scriptPath: string;
    if (location === "inlinescript") {
      scriptPath = join(tl.getVariable("Agent.TempDirectory") ?? ".", `azureclitaskscript${Date.now()}.sh`);
      writeFileSync(scriptPath, tl.getInput("inlineScript", false) ?? "", "utf8");
    } else {
      scriptPath = tl.getPathInput("scriptPath", true, false) ?? "";
      if (!tl.exist(scriptPath)) throw `Script file could not be found at specified script location: '${scriptPath}'. Please verify the script exists at the specified path. If you want to use inline script, specify input \`Script Location\` as \`inlineScript\`.`;
    }
    const tool = tl.tool(shell).arg(scriptPath);
    tool.line(tl.getInput("scriptArguments", false) ?? "");
    const cwd = tl.getPathInput("cwd", true, false) ?? process.cwd();
    tl.mkdirP(cwd);
    tl.cd(cwd);
    throwIfError(tl.execSync("az", "--version", { silent: true }));
    if (!tl.getBoolInput("useGlobalConfig", false)) configDir = perInvocationConfigDir();
    setActiveCloud(connection);
    const scheme = (tl.getEndpointAuthorizationScheme(connection, true) ?? "").toLowerCase();
    await loginAzureRM(connection, state);
    loggedIn = true;
    if (tl.getBoolInput("keepAzSessionActive", false) && scheme !== "workloadidentityfederation") {
      const message = `The 'keepAzSessionActive' input might be used only for workload identity federation ARM service connection. The referenced service endpoint auth scheme was unexpected: ${scheme}. Change the scheme or remove the 'keepAzSessionActive' input.`;
      tl.error(message);
      throw message;
    }
    const errorLines: string[] = [];
    tool.on("errline", (line: string) => {
      if (errorLines.length < 10) errorLines.push(line);
    });
    exitCode = await tool.exec({ failOnStdErr: false, ignoreReturnCode: true, env: { ...process.env, ...spnEnvironment(connection, state) } as Record<string, string> });
    if (tl.getBoolInput("failOnStandardError", false) && errorLines.length > 0) {
      tl.error(errorLines.join("\n"), tl.IssueSource.CustomerScript);
      throw "FAIL_ON_STDERR";
    }
  } catch (error) {
    toolError = (error as { stderr?: string })?.stderr ? (error as { stderr: string }).stderr : error;
  } finally {
    if (state.certificatePath) tl.rmRF(state.certificatePath);
    if (toolError === "FAIL_ON_STDERR") tl.setResult(tl.TaskResult.Failed, "Script has output to stderr. Failing as failOnStdErr is set to true.");
    else if (toolError) {
      const text = typeof toolError === "string" ? toolError : ((toolError as Error).message ?? String(toolError));
      let message = `Script failed with error: ${text}`;
      if (typeof toolError === "string" && toolError.includes("AADSTS7000222")) message = expiredSecretMessage(connection);
      tl.setResult(tl.TaskResult.Failed, message);
    } else if (exitCode !== 0) tl.setResult(tl.TaskResult.Failed, `Script failed with exit code: ${exitCode}`);
    else tl.setResult(tl.TaskResult.Succeeded, "Script exited with return code: 0");
    if (loggedIn) tl.execSync("az", " account clear");
    // After `az account clear`, which must still see this invocation's profile.
    removeConfigDir(configDir);
  }
}

if (!tl.which("az", false)) tl.setResult(tl.TaskResult.Failed, "Azure CLI 2.x is not installed on this machine.");
else await run();
