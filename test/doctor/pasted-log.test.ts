import { describe, expect, it } from "vitest";
import { schemeSupport, taskMentioned, taskNamed } from "../../src/core/tasks/schemes.js";
import { explain, redact } from "../../src/doctor/explain.js";
import { readPasted, UnknownScheme } from "../../src/doctor/pasted-log.js";
import { explainRun } from "../../src/doctor/run-failure.js";
import { loadRealMessages } from "./corpus.js";

/** A task log as the agent writes it: timestamps, the task's header, debug lines, then `lines`. */
function taskLog(task: string, version: string, lines: string[]): string {
  const stamp = (i: number) => `2025-03-04T10:11:${String(12 + i).padStart(2, "0")}.1234567Z `;
  const all = [
    "##[section]Starting: Deploy",
    "==============================================================================",
    `Task         : ${task}`,
    "Description  : Runs a deployment step against Azure",
    `Version      : ${version}`,
    "Author       : Microsoft Corporation",
    "==============================================================================",
    "##[debug]Evaluating condition for step: 'Deploy'",
    ...lines,
    "##[section]Finishing: Deploy",
  ];
  return all.map((line, i) => `${stamp(i)}${line}`).join("\n");
}

describe("a pasted log", () => {
  it("with no failure in it is 'no failure found', with nothing to fix and no class", () => {
    const log = taskLog("Azure CLI", "2.279.0", [
      "[command]/usr/bin/az login --service-principal -u *** --federated-token *** --tenant *** --allow-no-subscriptions",
      '[{"cloudName": "AzureCloud", "isDefault": true, "state": "Enabled"}]',
      "[command]/bin/bash /home/vsts/work/_temp/azureclitaskscript1.sh",
      '{ "provisioningState": "Succeeded" }',
      "[command]/usr/bin/az account clear",
    ]);
    const result = explain(log);
    expect(result).toMatchObject({ id: "no-failure-found", rootCauseClass: null, context: { log: true, task: "Azure CLI 2.279.0", scheme: "federation" } });
    expect(result.alternatives).toEqual([]);
  });

  it("is read for its failing lines and what the command printed before them, not for its noise", () => {
    const log = taskLog("Azure CLI", "2.279.0", [
      "[command]/usr/bin/az login --service-principal -u *** --password=*** --tenant *** --allow-no-subscriptions",
      ...Array.from({ length: 30 }, (_, i) => `##[debug]noise line ${i}: retrying token cache lookup, secret not logged`),
      "ERROR: AADSTS7000222: The provided client secret keys for app '***' are expired.",
      "Trace ID: 9c6d989c-f955-4767-9325-1e1df5c0abe6",
      "Correlation ID: 07684765-e762-4a42-b0af-667152c45324",
      "Timestamp: 2025-03-04 10:11:40Z",
      "Interactive authentication is needed. Please run:",
      "az login",
      "##[error]Error Code: [1]",
      "##[error]Error: Azure login failed",
    ]);
    const pasted = readPasted(log);
    expect(pasted.focus).toContain("AADSTS7000222");
    expect(pasted.focus).not.toContain("noise line");
    expect(pasted.focus).not.toContain("2025-03-04T");
    expect(explain(log)).toMatchObject({ id: "secret-expired", confidence: explain("ERROR: AADSTS7000222: The provided client secret keys for app '***' are expired.").confidence, context: { scheme: "secret" } });
  });

  it("reads past a step's summary of its own failure ('Bash exited with code 1'), which names no cause, unless it is all there is", () => {
    expect(readPasted("ERROR: Please run 'az login' to setup account.\n##[error]Bash exited with code '1'.").focus).toBe("ERROR: Please run 'az login' to setup account.");
    expect(readPasted("##[error]Script failed with exit code: 1").focus).toBe("##[error]Script failed with exit code: 1");
    // A summary that carries the tool's message keeps it.
    expect(readPasted("##[error]Error Code: [1]\n##[error]Script failed with error: ERROR: No subscriptions found for ***.").focus).toBe("##[error]Script failed with error: ERROR: No subscriptions found for ***.");
  });

  it("reads a message out of PowerShell's and Terraform's frames, stack traces and response headers, whose words and line breaks are no evidence", () => {
    const pwsh7 = ["Get-AzKeyVaultSecret: /home/vsts/work/_temp/deploy.ps1:12", "Line |", "  12 |  $s = Get-AzKeyVaultSecret -VaultName kv -Name db", "     |       ~~~~~~~~~~~~~~~~~~~~", "     | The user, group or application 'appid=***' does not have secrets get", "     | permission on key vault 'kv;location=westeurope'."];
    expect(readPasted(pwsh7.join("\n")).focus).toBe("Get-AzKeyVaultSecret: The user, group or application 'appid=***' does not have secrets get permission on key vault 'kv;location=westeurope'.");
    const pwsh5 = ["Get-AzWebApp : Run Connect-AzAccount to login.", "At D:\\a\\r1\\a\\deploy.ps1:4 char:1", "+ Get-AzWebApp -Name web", "+ ~~~~~~~~~~~~", "    + CategoryInfo          : CloseError: (:) [Get-AzWebApp], PSInvalidOperationException"];
    expect(readPasted(pwsh5.join("\n")).focus).toBe("Get-AzWebApp : Run Connect-AzAccount to login.\n    + CategoryInfo          : CloseError: (:) [Get-AzWebApp], PSInvalidOperationException");
    const terraform = ["╷", "│ Error: building AzureRM Client: obtain subscription() from Azure CLI", "│ ", "│   with provider[\"registry.terraform.io/hashicorp/azurerm\"],", "│   on main.tf line 1, in provider \"azurerm\":", "│    1: provider \"azurerm\" {", "│ ", "╵"];
    expect(readPasted(terraform.join("\n")).focus.trim()).toBe("Error: building AzureRM Client: obtain subscription() from Azure CLI");
    const traced = ["Traceback (most recent call last):", '  File "/opt/az/lib/python3.11/site-packages/msal/application.py", line 1201, in acquire_token', "    raise ValueError(x)", "ValueError: AADSTS700016: Application with identifier '***' was not found in the directory '***'.", "   at Azure.Identity.MsalClientBase.GetClientAsync()", "Headers:", "Retry-After: 10", "Cache-Control: no-cache"];
    expect(readPasted(traced.join("\n")).focus).toBe("ValueError: AADSTS700016: Application with identifier '***' was not found in the directory '***'.\nRetry-After: 10");
  });

  it("gives every real development message the same class inside a task log, PowerShell's or Terraform's frame, stack traces, JSON or a Markdown quote, as alone (an uncertain answer stays uncertain)", () => {
    const real = loadRealMessages("development");
    const wrapped = (message: string, prefix: string) => message.split("\n").flatMap((line) => (line.match(/.{1,70}(?:\s|$)|\S+/g) ?? [""]).map((piece) => `${prefix}${piece.trimEnd()}`));
    for (const e of real) {
      const answer = explain(e.message);
      const alone = answer.rootCauseClass;
      // An answer on learned words alone is given as uncertain: a frame's words (a function's name) may tip it, and it
      // stays uncertain; a decided answer keeps its class in every frame.
      const same = (framed: string, where: string) => {
        const got = explain(framed);
        if (answer.uncertain && got.uncertain) return;
        expect(got.rootCauseClass, `${e.id} ${where}`).toBe(alone);
      };
      same(JSON.stringify({ error: { message: e.message } }), "in JSON");
      same(e.message.replace(/\n/g, "\r\n"), "with CRLF");
      same(e.message.split("\n").map((line) => `> ${line}`).join("\n"), "quoted in Markdown");
      // A task that takes no service connection: its header adds no evidence, only a log's noise around the message.
      const log = taskLog("Bash", "3.250.1", ["##[debug]Agent.Version=4.254.0", ...e.message.split("\n"), "##[error]Bash exited with code '1'.", "[command]/usr/bin/az account clear"]);
      same(log, "in a task log");
      // A message already in a frame is not framed twice.
      if (/^\s*\|\s|^Line \||[│╷]/m.test(e.message)) continue;
      const pwsh = ["Invoke-Deploy: /home/vsts/work/_temp/deploy.ps1:12", "Line |", "  12 |  Invoke-Deploy -Name web", "     |  ~~~~~~~~~~~~~", ...wrapped(e.message, "     | ")];
      same(pwsh.join("\n"), "in PowerShell's frame");
      const terraform = ["╷", ...wrapped(e.message, "│ "), "│ ", "│   with azurerm_resource_group.rg,", '│   on main.tf line 10, in resource "azurerm_resource_group" "rg":', '│   10: resource "azurerm_resource_group" "rg" {', "│ ", "╵"];
      same(terraform.join("\n"), "in Terraform's frame");
      const traced = [
        ...["Traceback (most recent call last):", '  File "/opt/az/lib/python3.11/site-packages/azure/cli/core/commands/__init__.py", line 702, in _run_job', "    result = cmd_copy(params)"],
        e.message,
        ...["   at Azure.Core.HttpPipelineExtensions.ProcessMessageAsync(HttpPipeline pipeline, HttpMessage message, CancellationToken cancellationToken)", "   at Contoso.Deploy.Program.Main(String[] args) in /_/src/Program.cs:line 42"],
        ...["    at processTicksAndRejections (node:internal/process/task_queues:95:5)", "    at async Object.run (/home/vsts/work/_tasks/AzureCLI_46e4be58/2.250.1/azureclitask.js:120:13)"],
        ...["", "Headers:", "Cache-Control: no-cache", "Pragma: no-cache", "x-ms-request-id: REDACTED", "Strict-Transport-Security: REDACTED", "Date: Tue, 01 Jul 2025 10:00:00 GMT", "Content-Type: application/json; charset=utf-8"],
      ];
      same(traced.join("\n"), "with stack traces and response headers");
    }
  });

  it("names the task and version from its header, and knows which versions lack workload identity federation", () => {
    const pinned = taskLog("Azure CLI", "2.208.0", ["##[debug]auth scheme: WorkloadIdentityFederation", "##[error]Could not fetch access token for Azure. Status code: undefined, status message: undefined"]);
    const result = explain(pinned);
    expect(result).toMatchObject({ id: "task-lacks-wif-support", rootCauseClass: "wif_other", context: { task: "Azure CLI 2.208.0", taskSchemes: ["secret", "certificate", "managedIdentity"], scheme: "federation" } });
    expect(result.fix[0]).toContain("AzureCLI@2 2.217 or later");
    // The same failure from a version that has it is not the task's lack.
    const current = explain(pinned.replace("2.208.0", "2.279.0"));
    expect(current.id).not.toBe("task-lacks-wif-support");
  });

  it("in a whole job's log, reads the failed step's task and version, not the first step's", () => {
    const step = (name: string, version: string, lines: string[]) => [`##[section]Starting: ${name}`, "==============================================================================", "Task         : Azure CLI", `Version      : ${version}`, "==============================================================================", ...lines, `##[section]Finishing: ${name}`];
    const job = [
      ...step("Login check", "2.250.1", ["[command]/usr/bin/az login --service-principal -u *** --tenant *** --allow-no-subscriptions --federated-token ***"]),
      ...step("Deploy", "2.208.0", ["##[error]Could not fetch access token for Azure. Status code: undefined, status message: undefined"]),
    ].map((line, i) => `2025-03-04T10:11:${String(10 + i).padStart(2, "0")}.1234567Z ${line}`);
    // The pinned version of the failed step lacks federation; the scheme shows in the step that signed in before it.
    expect(explain(job.join("\n"))).toMatchObject({ id: "task-lacks-wif-support", context: { task: "Azure CLI 2.208.0", scheme: "federation" } });
  });

  it("takes the task and the scheme from the person when given, and reads the Terraform extension's tasks", () => {
    const error = "Error: building account: could not acquire access token to parse claims: clientCredentialsToken: received HTTP status 401 with response: AADSTS7000215: Invalid client secret provided.";
    expect(explain(error).id).toBe("secret-invalid");
    const withCertificate = explain(error, { task: "TerraformTaskV4@4", scheme: "certificate" });
    expect(withCertificate).toMatchObject({ id: "task-lacks-certificate-support", rootCauseClass: "secret_expired_or_invalid", context: { task: "TerraformTaskV4@4", taskSchemes: ["secret", "federation", "managedIdentity"], scheme: "certificate" } });
    expect(() => explain(error, { scheme: "kerberos" })).toThrow(UnknownScheme);
  });

  it("bounds the work: a huge paste is read from its end, within a budget", () => {
    const noise = "##[debug]".padEnd(200, "x");
    const huge = `${Array.from({ length: 40_000 }, () => noise).join("\n")}\n##[error]AADSTS7000222: The provided client secret keys for app '***' are expired.`;
    const started = performance.now();
    expect(explain(huge).id).toBe("secret-expired");
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("reads 2 MB shaped to make the frame readers, the signals or the identifiers backtrack within the same budget", () => {
    const fill = (unit: string) => unit.repeat(Math.ceil(2_000_000 / unit.length)).slice(0, 2_000_000);
    const shapes = {
      "a stack frame that never closes": `x\n   at ${fill("a.")}(x`,
      "a header block's one long name": `x\nHeaders:\n${fill("a-")}: v`,
      "a command name before no script path": `x\n${fill("a-")}: /x.ps1:1x`,
      "Terraform's box on every line": fill("│ a\n"),
      "federation words around a sign-in": fill("oidc please run 'az login' "),
      // Identifiers read up to a word that never comes: a connection's name, a job's.
      "a connection named by a variable, never closed": fill("references service connection $("),
      "a job never followed by its step": fill("job was canceled "),
      "an application's name never closed": fill("application 'x' ("),
    };
    for (const [shape, text] of Object.entries(shapes)) {
      const started = performance.now();
      explain(text);
      expect(performance.now() - started, shape).toBeLessThan(5_000);
    }
  });
});

describe("the task catalog's scheme support", () => {
  it("follows Microsoft's table and the tasks' code", () => {
    const support = (name: string, major: number, minor?: number) => schemeSupport(taskNamed({ name, major })!, minor);
    expect(support("AzureFileCopy", 4)).toMatchObject({ schemes: ["secret", "certificate", "managedIdentity"], federationIn: "AzureFileCopy@6" });
    expect(support("AzureFileCopy", 6)!.schemes).toContain("federation");
    expect(support("AzureCLI", 2, 216)!.schemes).not.toContain("federation");
    expect(support("AzureCLI", 2, 217)!.schemes).toContain("federation");
    expect(support("TerraformTaskV3", 3)).toMatchObject({ schemes: ["secret"], federationIn: "TerraformTaskV4@4" });
    expect(support("TerraformCLI", 2)!.schemes).not.toContain("certificate");
    expect(schemeSupport(taskNamed({ name: "Bash", major: 3 })!)).toBeUndefined();
    expect(taskMentioned("since the switch, TerraformTaskV3 fails at init")?.facts.name).toBe("TerraformTaskV3");
  });
});

describe("not a connection problem", () => {
  it.each([
    ["ERROR: (QuotaExceeded) Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota.", "quota-or-capacity"],
    ["ERROR: (ScopeLocked) The scope '/subscriptions/x/resourceGroups/rg' cannot perform delete operation because following scope(s) are locked: '/subscriptions/x/resourceGroups/rg'.", "lock-or-policy-denied"],
    ["ERROR: (ResourceNotFound) The Resource 'Microsoft.Web/sites/app-contoso' under resource group 'rg-web' was not found.", "resource-not-found"],
    ["##[error]No hosted parallelism has been purchased or granted.", "agent-or-pool"],
    ["npm ERR! code ELIFECYCLE\nnpm ERR! errno 1", "script-or-template-error"],
    ["Error: Unable to get storage account keys: Get https://stcontoso.blob.core.windows.net: dial tcp: lookup stcontoso.blob.core.windows.net: no such host", "network-or-firewall"],
    ["ERROR: (StorageAccountAlreadyTaken) The storage account named stcontosoweb is already taken.", "resource-name-taken-or-invalid"],
    ["Error: building AzureRM Client: Azure CLI Authorization Profile was not found. Please ensure the Azure CLI is installed and then log-in with `az login`.", "tool-not-signed-in"],
    ["Error: Listing service principals for filter \"appId eq 'x'\": graphrbac.ServicePrincipalsClient#List: Failure responding to request: StatusCode=403", "script-directory-permission"],
  ])("%s → %s, class other", (text, id) => {
    expect(explain(text)).toMatchObject({ id, rootCauseClass: "other" });
  });
});

describe("AzurePipelinesCredential in a script", () => {
  it("is told apart from the connection's own federation failures", () => {
    expect(explain("CredentialUnavailableError: AzurePipelinesCredential: is unavailable. systemAccessToken is a required parameter.")).toMatchObject({ id: "pipelines-credential-misconfigured", rootCauseClass: "wif_other" });
    expect(explain("AADSTS700213: No matching federated identity record found for presented assertion subject 'sc://contoso/web/prod'.").id).not.toBe("pipelines-credential-misconfigured");
  });
});

describe("a failed run", () => {
  it("is explained from its failed task's log, with the timeline's task and version as context", () => {
    const result = explainRun({
      issues: ["Could not fetch access token for Azure. Status code: undefined, status message: undefined"],
      failedTasks: [{ displayName: "Copy files", task: "AzureFileCopy@4.247.0", log: ["##[debug]auth scheme: WorkloadIdentityFederation", "##[error]Could not fetch access token for Azure. Status code: undefined, status message: undefined"] }],
    });
    expect(result).toMatchObject({ id: "task-lacks-wif-support", context: { task: "AzureFileCopy@4.247.0" } });
    expect(result.fix[0]).toContain("Use AzureFileCopy@6");
  });
});

describe("redaction for --prompt", () => {
  it.each([
    ["az login --service-principal -u 8d1f7b38-0000-4000-8000-00000000c1d2 -p abc8Q~Zx9yW.vU_tS-rQpOnMlKjIhGfEdCbA12345 --tenant t", "abc8Q~"],
    ["the new secret abc8Q~Zx9yW.vU_tS-rQpOnMlKjIhGfEdCbA12345 did not work", "Zx9yW"],
    ["az login --service-principal --password=\"s3cr3t-value\" -u x", "s3cr3t"],
    ["export AZURE_DEVOPS_EXT_PAT=a2b3c4d5e6f7g2h3i4j5k6l7m2n3o4p5q6r7s2t3u4v5w6x7y2z3ab", "a2b3c4"],
    ["token a2b3c4d5e6f7g2h3i4j5k6l7m2n3o4p5q6r7s2t3u4v5w6x7y2z3 in the url", "a2b3c4"],
    ["pat 1234567890abcdefghij1234567890abcdefghij1234567890abcdefghij1234567890abcdefAZDOab12 here", "AZDOab12"],
    ["AccountName=st;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=core.windows.net", "Zm9vYmFy"],
    ["https://st.blob.core.windows.net/c/b?sv=2022-11-02&sig=abcdEFGH%2Bijkl%3D&se=2025", "abcdEFGH"],
    ['ConvertTo-SecureString "hunter2secret" -AsPlainText -Force', "hunter2"],
    ["Connect-AzAccount -ServicePrincipal -ServicePrincipalKey Sup3rS3cret -Tenant t", "Sup3rS3cret"],
    ["-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----", "MIIEvQ"],
    ["Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9BenVyZUFEVG9rZW5FeGNoYW5nZSJ9.sig", "eyJ0eXAi"],
    ["ghp_abcdefghijklmnopqrstuvwxyz0123456789 was leaked", "ghp_abc"],
    // A secret with a ';' in it is masked whole (only a connection string's fields end at ';').
    ['{"clientSecret": "abc;defSecretPart"}', "defSecretPart"],
  ])("masks %s", (text, secret) => {
    expect(redact(text)).not.toContain(secret);
    expect(redact(text)).toContain("[redacted");
  });

  it("keeps what diagnoses need: codes, ids, trace ids", () => {
    const text = "AADSTS7000215: Invalid client secret provided. Trace ID: 1a2b3c4d-0000-4000-8000-000000000000 app '8d1f7b38-0000-4000-8000-00000000c1d2'";
    expect(redact(text)).toBe(text);
    // A connection string keeps the fields around the secret: the server and user say which login failed.
    expect(redact("Server=tcp:sql1.database.windows.net;Password=Hunter2Hunter2;User ID=deployer")).toBe("Server=tcp:sql1.database.windows.net;Password=[redacted];User ID=deployer");
  });
});
