import type { ConnectionForJob } from "../ports.js";

/** An environment variable name for a variable, as the agent makes it: upper case, `.` and space as `_`. */
export const envName = (name: string) => name.replace(/[. ]/g, "_").toUpperCase();

/** svcconn's own listeners, which stand for the Azure cloud a connection names. */
export interface CloudUrls {
  login: string;
  arm: string;
  graph: string;
}

const PUBLIC_ARM = /^https:\/\/management\.azure\.com\/?$/i;

/**
 * The environment the agent gives a task for one service connection (docs/reference/pipelines.md §1.2). The
 * server adds the cloud's authority and Graph URL to the job message; svcconn's name its own listeners, and an
 * AzureCloud connection's ARM URL is svcconn's ARM (docs/wire-notes.md).
 */
export function connectionEnvironment(connection: ConnectionForJob, cloud: CloudUrls): Record<string, string> {
  const key = connection.id;
  const env: Record<string, string> = {};
  env[`ENDPOINT_URL_${key}`] = PUBLIC_ARM.test(connection.url) ? `${cloud.arm}/` : connection.url;
  env[`ENDPOINT_AUTH_${key}`] = JSON.stringify({ parameters: connection.parameters, scheme: connection.scheme });
  env[`ENDPOINT_AUTH_SCHEME_${key}`] = connection.scheme;
  for (const [name, value] of Object.entries(connection.parameters)) env[`ENDPOINT_AUTH_PARAMETER_${key}_${name.toUpperCase()}`] = value;
  // The server adds the cloud's authority to the job message; svcconn's points at its own login listener.
  const data = { ...connection.data, activeDirectoryAuthority: `${cloud.login}/`, environmentAuthorityUrl: `${cloud.login}/`, graphUrl: `${cloud.graph}/`, microsoftGraphUrl: `${cloud.graph}/` };
  env[`ENDPOINT_DATA_${key}`] = JSON.stringify(data);
  for (const [name, value] of Object.entries(data)) env[`ENDPOINT_DATA_${key}_${name.toUpperCase()}`] = value;
  return env;
}

/** The system connection every task gets: the collection URL and the job's access token. */
export function systemConnectionEnvironment(collectionUri: string, jobToken: string): Record<string, string> {
  return {
    ENDPOINT_URL_SYSTEMVSSCONNECTION: collectionUri,
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ parameters: { AccessToken: jobToken }, scheme: "OAuth" }),
    ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION: "OAuth",
    ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: jobToken,
  };
}

/** `$(name)` macros with the job's variables now (unknown names stay as written, as on the agent). */
export function expandMacros(text: string, lookup: (name: string) => string | undefined): string {
  return text.replace(/\$\(([\w.\- ]+)\)/g, (whole, name: string) => lookup(name) ?? whole);
}

/**
 * Variables a step may not overwrite with `task.setvariable` (the agent's `Constants.Variables.ReadOnlyVariables`,
 * microsoft/azure-pipelines-agent src/Microsoft.VisualStudio.Services.Agent/Constants.cs), compared ignoring case.
 */
const READ_ONLY_VARIABLES = new Set(
  [
    "agent.acceptteeeula", "agent.builddirectory", "agent.cloudid", "agent.containerid", "agent.containermapping", "agent.containernetwork",
    "agent.diagnostic", "FIX_POSSIBLE_GIT_OUT_OF_MEMORY_PROBLEM", "agent.gituseschannel", "agent.homedirectory", "agent.id", "agent.isselfhosted",
    "agent.jobname", "agent.jobstatus", "agent.machinename", "agent.name", "agent.os", "agent.osarchitecture", "agent.osversion",
    "agent.usebasicauthforproxy", "agent.proxybypasslist", "agent.proxypassword", "agent.proxyurl", "agent.proxyusername", "agent.readOnlyVariables",
    "agent.retainDefaultEncoding", "agent.RootDirectory", "agent.runMode", "agent.ServerOMDirectory", "agent.services", "agent.cainfo", "agent.clientcert",
    "agent.clientcertarchive", "agent.clientcertkey", "agent.clientcertpassword", "agent.skipcertvalidation", "agent.TempDirectory", "agent.ToolsDirectory",
    "USE_GIT_LONG_PATHS", "USE_GIT_SINGLE_THREAD", "agent.version", "agent.workfolder", "agent.WorkingDirectory",
    "build.artifactstagingdirectory", "build.binariesdirectory", "build.clean", "build.definitionname", "build.gated.runci", "build.gated.shelvesetname",
    "build.buildNumber", "pipeline.repository.name", "build.repository.clean", "build.repository.git.submodulecheckout", "build.repository.id",
    "build.repository.localpath", "build.Repository.name", "build.repository.provider", "build.repository.tfvc.workspace", "build.repository.uri",
    "build.sourcebranch", "build.sourcetfvcshelveset", "build.sourceversion", "build.sourceversionauthor", "build.sourceVersionMessage",
    "build.sourcesdirectory", "build.stagingdirectory", "build.syncSources", "build.useserverworkspaces", "common.testresultsdirectory",
    "agent.clean.buildDirectory", "agent.source.git.lfs", "agent.source.git.shallowFetchDepth", "agent.source.skip", "pipeline.workspace",
    "system.accessToken", "system.artifactsdirectory", "system.collectionid", "system.culture", "system.debug", "system.defaultworkingdirectory",
    "system.definitionid", "system.definitionName", "system.enableAccessToken", "system.hosttype", "system.isazurevm", "system.isdockercontainer",
    "system.jobAttempt", "system.jobDisplayName", "system.jobId", "system.jobName", "system.phaseAttempt", "system.phaseDisplayName", "system.phaseName",
    "system.planId", "system.prefergitfrompath", "system.pullrequest.targetbranch", "system.selfmanagegitcreds", "system.servertype",
    "system.sourceVersionMessage", "system.stageAttempt", "system.stageDisplayName", "system.stageName", "system.TeamFoundationServerUri",
    "system.teamproject", "system.teamProjectId", "system.workfolder", "task.displayname", "task.skipTranslatorForCheckout", "task.publishTelemetry",
  ].map((name) => name.toLowerCase()),
);

export const isReadOnlyVariable = (name: string): boolean => READ_ONLY_VARIABLES.has(name.toLowerCase());

/**
 * Logging commands the agent still runs for a step with `target: {commands: restricted}` (its commands marked
 * `AllowedInRestrictedMode`); any other is refused with a warning.
 */
export const RESTRICTED_MODE_COMMANDS = new Set(["task.logdetail", "task.logissue", "task.issue", "task.complete", "task.setprogress", "task.setsecret", "task.setvariable", "task.debug", "task.settaskvariable", "task.prependpath", "telemetry.publish"]);

/** The agent's texts for refused logging commands (src/Misc/layoutbin/en-US/strings.json). */
export const agentTexts = {
  commandNotAllowed: (area: string, event: string) => `##vso[${area}.${event}] is not allowed in this step due to policy restrictions. Please reference documentation (http://go.microsoft.com/fwlink/?LinkId=817296)`,
  setVariableNotAllowed: (name: string) => `Setting variable '${name}' has been disabled by the task or build definition.`,
  readOnlyVariable: (name: string) => `Overwriting readonly variable '${name}' is not permitted. See https://github.com/microsoft/azure-pipelines-yaml/blob/master/design/readonly-variables.md for details.`,
  commandProcessFailed: (line: string) => `Unable to process command '${line}' successfully. Please reference documentation (http://go.microsoft.com/fwlink/?LinkId=817296)`,
  multilineSecret: "Secrets cannot contain multiple lines",
  windowsOnlyTask: "The current operating system is not capable of running this task. That typically means the task was written for Windows only. For example, written for Windows Desktop PowerShell.",
};

/**
 * Authorization parameters the agent does not mask (MaskingUtil.IsEndpointAuthorizationParametersSecret,
 * src/Agent.Sdk/Util/MaskingUtil.cs): every other parameter of a job's connections is a secret in logs.
 */
const NON_SECRET_AUTHORIZATION_PARAMETERS = new Set(
  ["role", "scope", "tenantid", "issuedat", "expiresat", "audience", "authenticationtype", "authorizationtype", "accesstokentype", "accesstokenfetchingmethod", "usewindowssecurity", "unsecured", "oauthaccesstokenissupplied", "completecallbackpayload", "acceptuntrustedcertificates"],
);

export const isSecretAuthorizationParameter = (key: string): boolean => !NON_SECRET_AUTHORIZATION_PARAMETERS.has(key.toLowerCase());

/**
 * The proxy user a job's steps on a Microsoft-hosted agent carry (on a VM of the world it is the VM's name): svcconn's
 * proxy tells Key Vault's firewall the call comes from a hosted agent's public address. It cannot be a VM's name, so
 * the metadata service sees no VM. Every proxy user has a password: undici sends credentials only with both.
 */
export const HOSTED_AGENT_PROXY_USER = "(microsoft-hosted)";
