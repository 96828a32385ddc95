import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../src/doctor/catalog/index.js";
import { FINDING_KINDS } from "../../src/doctor/findings/index.js";
import { assistantPrompt, explain, likeliestClassFirst, normalise, redact } from "../../src/doctor/explain.js";
import { type EvidenceModelFile, features, learnedScores, loadModel } from "../../src/doctor/evidence.js";
import { aadsts } from "../../src/entra/errors.js";
import { graphErrors } from "../../src/entra/graph/graph-errors.js";
import { armErrors } from "../../src/arm/errors.js";
import { messages } from "../../src/devops/create-workflow.js";
import { devopsErrors } from "../../src/devops/errors.js";
import { compilePipeline } from "../../src/pipelines/compile/compiler.js";
import { pipelineNotValid, resolveConnections } from "../../src/pipelines/compile/resolve-connections.js";
import { loadCorpus, type Split } from "./corpus.js";

const REQUIRED_IDS = [
  "guest-permission", "app-registration-disallowed", "session-expired", "subscription-in-other-tenant", "contributor-assignment-failed",
  "subscription-not-listed", "secret-invalid", "secret-expired", "app-not-found", "service-principal-missing", "app-disabled",
  "jwt-acquisition-failed", "subscription-variable-runtime", "managed-identity-unsupported", "rbac-authorization-failed", "key-vault-access-denied",
  "pipeline-not-authorized", "delete-cleanup-failed", "wif-issuer-mismatch", "wif-subject-mismatch", "wif-no-federated-credentials",
  "wif-assertion-expired", "wif-blocked-by-policy", "wif-multitenant-app", "wif-credential-setup-failed", "task-lacks-wif-support", "endpoint-creator-role-missing",
  "certificate-invalid", "tenant-not-found", "endpoint-role-missing", "duplicate-connection-name", "application-change-denied",
  "scheme-unsupported-on-server", "connection-type-mismatch", "connection-name-ambiguous", "network-or-firewall", "service-unavailable-or-throttled",
  "task-lacks-certificate-support", "resource-not-found", "lock-or-policy-denied", "quota-or-capacity", "agent-or-pool", "tool-not-signed-in",
  "script-directory-permission", "script-or-template-error", "pipeline-resource-not-authorized", "database-access-denied", "credential-policy-denied", "devops-permission-denied",
  "pipelines-credential-misconfigured", "ci-oidc-token-unavailable", "terraform-without-oidc", "resource-name-taken-or-invalid", "unknown",
];

const corpus = loadCorpus();
/** The accuracy floors the issue sets (the baseline before tuning was 0.819 and 0.871; see the corpus README). */
const MIN_DEV = 0.98;
const MIN_HELD_OUT = 0.95;

/** Each text answered with its diagnosis (and, when given, that confidence). */
function expectDiagnoses(cases: Array<[text: string, id: string]>, confidence?: number) {
  for (const [text, id] of cases) expect(explain(text), text).toMatchObject(confidence === undefined ? { id } : { id, confidence });
}

/** Not the connection's: answered as something else (class `other`) or not recognised. */
function expectNotBlamed(texts: string[]) {
  for (const text of texts) {
    const answer = explain(text);
    expect([null, "other"], `${text} → ${answer.id}`).toContain(answer.rootCauseClass);
  }
}

describe("catalog", () => {
  it("has every required id, each with cause, fix, verify and references", () => {
    expect(CATALOG.map((d) => d.id).sort()).toEqual([...REQUIRED_IDS].sort());
    for (const d of CATALOG) {
      expect(d.title, d.id).toBeTruthy();
      expect(d.cause.length, d.id).toBeGreaterThan(40);
      expect(d.fix.length, d.id).toBeGreaterThan(0);
      expect(d.verify.length, d.id).toBeGreaterThan(0);
      expect(d.references.length, d.id).toBeGreaterThan(0);
      expect(d.spec.every((s) => /^[SB]\d+$/.test(s)), d.id).toBe(true);
    }
  });

  it("names only findings the scan has, and each finding's explanation names it back", () => {
    for (const d of CATALOG) for (const kind of d.scanFindings ?? []) expect(FINDING_KINDS.has(kind), `${d.id}: ${kind}`).toBe(true);
    for (const k of FINDING_KINDS.values()) {
      if (k.explanation) expect(CATALOG.find((d) => d.id === k.explanation)?.scanFindings ?? [], k.kind).toContain(k.kind);
    }
  });

  it("has at least twelve differently worded corpus texts for every id, each with its source; 400 in all, 30 % held out", () => {
    for (const id of REQUIRED_IDS) {
      const messages = corpus.get(id) ?? [];
      expect(messages.length, id).toBeGreaterThanOrEqual(12);
      expect(new Set(messages.map((m) => normalise(m.text))).size, id).toBe(messages.length);
      for (const m of messages) expect(m.source.trim().length, `${id}: ${m.text}`).toBeGreaterThan(2);
    }
    const all = [...corpus.values()].flat();
    expect(all.length).toBeGreaterThanOrEqual(400);
    expect(all.filter((m) => m.split === "held-out").length / all.length).toBeGreaterThanOrEqual(0.3);
  });
});

/** Top-1 accuracy on one part of the corpus; the misses (development part only) are in the failure message. */
function accuracy(split: Split): { rate: number; misses: string } {
  const set = [...corpus.values()].flat().filter((m) => m.split === split);
  const wrong = set.map((m) => ({ m, got: explain(m.text).id })).filter((r) => r.got !== r.m.id);
  const misses = wrong.map((r) => (split === "development" ? `${r.m.id} → ${r.got}: ${r.m.text}` : `${r.m.id} → ${r.got}`)).join("\n");
  return { rate: 1 - wrong.length / set.length, misses };
}

describe("corpus", () => {
  it("development part: at least MIN_DEV right first", () => {
    const { rate, misses } = accuracy("development");
    expect(rate, misses).toBeGreaterThanOrEqual(MIN_DEV);
  });
  it("held-out part: at least MIN_HELD_OUT right first", () => {
    const { rate, misses } = accuracy("held-out");
    expect(rate, misses).toBeGreaterThanOrEqual(MIN_HELD_OUT);
  });
});

describe("explain", () => {
  it("fills the identifiers found in the text into the steps", () => {
    const result = explain(
      "ERROR: (AuthorizationFailed) The client 'a1b2c3d4-0000-4000-8000-000000000001' with object id 'ffff0000-0000-4000-8000-000000000002' does not have authorization to perform action 'Microsoft.Web/sites/write' over scope '/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-web' or the scope is invalid.",
    );
    expect(result.id).toBe("rbac-authorization-failed");
    expect(result.confidence).toBeGreaterThan(0.9);
    expect(result.entities).toMatchObject({
      clientId: "a1b2c3d4-0000-4000-8000-000000000001",
      objectId: "ffff0000-0000-4000-8000-000000000002",
      action: "Microsoft.Web/sites/write",
      scope: "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-web",
      subscriptionId: "11111111-2222-4333-8444-555555555555",
    });
    expect(result.fix.join("\n")).toContain(
      "az role assignment create --assignee-object-id ffff0000-0000-4000-8000-000000000002 --assignee-principal-type ServicePrincipal --role Contributor --scope /subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-web",
    );
    expect(result.cause).toContain("'Microsoft.Web/sites/write'");
    // The REST form, for where `az role assignment` fails (Debian's az 2.45).
    expect(result.fix.join("\n")).toContain(
      'az rest --method put --url "https://management.azure.com/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-web/providers/Microsoft.Authorization/roleAssignments/',
    );
    expect(result.fix.join("\n")).toContain('"principalId":"ffff0000-0000-4000-8000-000000000002"');
  });

  it("uses readable stand-ins for redacted identifiers", () => {
    const result = explain("AADSTS7000222: The provided client secret keys for app '***' are expired.");
    expect(result.entities.clientId).toBe("***");
    expect(result.fix.join(" ")).toContain("az ad app credential reset --id <application (client) id>");
  });

  it("says when the text alone cannot decide, and what to check", () => {
    const result = explain("##[error]Could not fetch access token for Azure. Verify if the Service Principal used is valid and not expired.");
    expect(result.undecided).toBeDefined();
    expect(result.undecided!.reason).toMatch(/about equally/);
    expect(result.undecided!.checks.length).toBeGreaterThan(1);
    expect(result.undecided!.checks.at(-1)).toContain("svcconn doctor scan reads the connection and tells them apart: connection-not-ready → jwt-acquisition-failed");
    expect(result.confidence).toBeLessThanOrEqual(0.5);
    // The tasks' wording for a service principal whose token request failed: the secret, or the connection not ready.
    expect([result.id, ...result.alternatives.map((a) => a.id)]).toEqual(expect.arrayContaining(["jwt-acquisition-failed", "secret-invalid"]));
  });

  it("copes with JSON-in-JSON escaping, \\r\\n, log prefixes and timestamps", () => {
    const inner = JSON.stringify({ error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2" });
    const wrapped = JSON.stringify({ message: `Token request failed: ${inner}` });
    expect(explain(`2024-05-01T10:11:12.1234567Z ##[error]${wrapped}`).id).toBe("secret-invalid");
    expect(explain(JSON.stringify(wrapped)).id).toBe("secret-invalid");
    expect(explain("ERROR: AADSTS7000112: Application &#39;x&#39;(app) is disabled.").id).toBe("app-disabled");
  });

  it("says plainly when no subscription may mean another tenant or none at all", () => {
    const bare = explain("You don't appear to have an active Azure subscription.");
    expect(bare.id).toBe("subscription-in-other-tenant");
    expect(bare.undecided?.reason).toMatch(/no Azure subscription at all/);
    expect(bare.undecided?.checks.join(" ")).toContain("az account list --all");
    expect(bare.confidence).toBeLessThanOrEqual(0.6);
    const clear = explain("InvalidAuthenticationTokenTenant: The access token is from the wrong issuer 'https://sts.windows.net/aaaa/'. It must match the tenant 'https://sts.windows.net/bbbb/' associated with this subscription.");
    expect(clear.id).toBe("subscription-in-other-tenant");
    expect(clear.undecided).toBeUndefined();
  });

  it("fills the signed-in user's object id into the Contributor-assignment fix", () => {
    const result = explain(
      "Failed to assign Contributor role to the application. AuthorizationFailed: The client 'dev@contoso.onmicrosoft.com' with object id 'd0d0cafe-05e2-4000-8000-000000000002' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/d0d0cafe-5ab0-4000-8000-000000000002' or the scope is invalid.",
    );
    expect(result.id).toBe("contributor-assignment-failed");
    expect(result.fix.join("\n")).toContain("--assignee d0d0cafe-05e2-4000-8000-000000000002 --role \"User Access Administrator\" --scope /subscriptions/d0d0cafe-5ab0-4000-8000-000000000002");
    expect(explain("Failed to assign Contributor role.").fix.join("\n")).toContain("--assignee <your object id>");
    // ARM names the refused assignment's own id as the scope: the role is given where the assignment would sit.
    const named = explain(
      "Failed to assign Contributor role to the application. AuthorizationFailed: The client 'dev@contoso.onmicrosoft.com' with object id 'd0d0cafe-05e2-4000-8000-000000000002' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/d0d0cafe-5ab0-4000-8000-000000000002/resourceGroups/rg-app/providers/Microsoft.Authorization/roleAssignments/2f9a1b3c-0000-4000-8000-000000000009' or the scope is invalid.",
    );
    expect(named.entities.scope).toBe("/subscriptions/d0d0cafe-5ab0-4000-8000-000000000002/resourceGroups/rg-app");
    expect(named.fix.join("\n")).toContain("--scope /subscriptions/d0d0cafe-5ab0-4000-8000-000000000002/resourceGroups/rg-app.");
  });

  it("is uncertain about a description with some evidence but no code: the likeliest three and the question that decides", () => {
    const result = explain("since last week the pipeline cannot log in to Azure with our service connection, something about the credential");
    expect(result.uncertain!.candidates).toHaveLength(3);
    expect(result.uncertain!.candidates[0]!.id).toBe("secret-expired");
    expect(result.uncertain!.question).toMatch(/^Which authentication scheme does the service connection use/);
    // Told the scheme, the secret's diagnoses drop out of the likeliest.
    const told = explain("since last week the pipeline cannot log in to Azure with our service connection, something about the credential", { scheme: "workload-identity-federation" });
    expect(told.context).toMatchObject({ scheme: "federation" });
    expect([told.id, ...told.alternatives.map((a) => a.id)]).not.toContain("secret-expired");
  });

  it("scores a text by the same learned evidence training counts (the fast path agrees with features())", () => {
    const file = JSON.parse(readFileSync("src/doctor/model.json", "utf8")) as EvidenceModelFile;
    const model = loadModel({ ...file, ceiling: Number.POSITIVE_INFINITY });
    for (const m of [...corpus.values()].flat()) {
      const lower = normalise(m.text).toLowerCase();
      const expected = new Float64Array(file.classes.length);
      for (const f of features(lower)) for (const [i, w] of Object.hasOwn(file.weights, f) ? file.weights[f]! : []) expected[i]! += w;
      const got = learnedScores(model, lower);
      for (let i = 0; i < expected.length; i++) expect(got[i], `${m.id}: ${m.text}`).toBeCloseTo(expected[i]!, 6);
    }
  });

  it("uses the model scripts/train-explain.ts makes from the development part, the catalog and the vocabulary", () => {
    const check = spawnSync(process.execPath, ["--import", "tsx", "scripts/train-explain.ts", "--check"], { encoding: "utf8" });
    expect(check.status, check.stderr).toBe(0);
  }, 60_000);

  it("reads the tasks' own messages as theirs: a timeout points at getting a token only when the text is about one, a rename or an empty list alone at nothing", () => {
    // Tasks' own messages (microsoft/azure-pipelines-tasks task.json) as the tasks print them: AzureRmWebAppDeployment@4's
    // PollingForFileTimeOut, RetryForTimeoutIssue and FailedToEnableRenameLockedFiles, AzureMysqlDeployment@1's
    // EmptyOrNullServerList. A timeout, a rename or an empty list alone says nothing about the connection.
    expectNotBlamed([
      "##[error]Error: Unable to fetch script status due to timeout. You can increase the timeout limit by setting 'appservicedeploy.retrytimeout' variable to number of minutes required.",
      "##[error]Script execution failed with timeout issue.",
      "##[error]Failed to enable rename locked files. Error: Conflict (CODE: 409)",
      "##[error]The MySQL server list is empty. The MySQL server host name is invalid.",
      // GradleAuthenticate@0's Warning_PostExecCleanupFailed, PublishSymbols@2's CleanUpSemaphoreFile0Error1: a clean-up, not a deletion's.
      "##[error]Post-step cleanup failed: EPERM: operation not permitted, unlink '/home/vsts/.gradle/gradle.properties'",
      "##[error]Could not clean up existing semaphore file 'D:\\a\\_temp\\symbols.sem'. The process cannot access the file because it is being used by another process.",
    ]);
    expectDiagnoses([
      ["##[error]Could not fetch access token for Azure. Verify if the Service Principal used is valid and not expired. Error: connect ETIMEDOUT 20.190.151.7:443", "jwt-acquisition-failed"],
      ["Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception message: The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.", "jwt-acquisition-failed"],
      // AzureAppConfigurationExport@10's AccessDenied names the missing role assignment itself.
      ["##[error]Access to the target App Configuration instance was denied. Please ensure the required role assignment is made for the identity running this task.", "rbac-authorization-failed"],
      // AzureMysqlDeployment@1's and AzureNLBManagement@1's words for the same failure to get the connection's token.
      ["##[error]Could not retrieve an access token for Azure. Status code: 401. Status message: Unauthorized", "jwt-acquisition-failed"],
      ["##[error]Could not fetch access token. Status Code : 400 Status Message : Bad Request", "jwt-acquisition-failed"],
    ]);
    // azure-pipelines-task-lib's own: an empty connection input, a connection the job was never given.
    const empty = explain("2024-05-02T10:11:12.1234567Z ##[error]Input required: azureSubscription");
    expect(empty).toMatchObject({ id: "subscription-variable-runtime", rootCauseClass: "subscription_variable_not_passed" });
    expect(empty.undecided?.reason).toContain("never gives the input");
    expect(explain("##[error]Endpoint auth data not present: 6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f").id).toBe("subscription-variable-runtime");
    expect(explain("##[error]Input required: scriptPath").rootCauseClass).not.toBe("subscription_variable_not_passed");
    // az account set to a subscription the signed-in identity's list lacks; an empty one is a variable that stayed empty.
    const missing = explain("ERROR: The subscription of 'contoso-prod' doesn't exist in cloud 'AzureCloud'.");
    expect(missing).toMatchObject({ id: "subscription-not-listed", rootCauseClass: "subscription_not_listed" });
    expect(missing.undecided?.checks.join(" ")).toContain("az account list --refresh");
    expect(explain("ERROR: The subscription of '' doesn't exist in cloud 'AzureCloud'.").id).toBe("subscription-variable-runtime");
    // AzureMysqlDeployment@1's CouldNotFetchAccessTokenforMSIDueToMSINotConfiguredProperlyStatusCode words it its own way.
    expect(explain("##[error]Could not retrieve an access token for the managed service principal. Please configure Managed Service Identity (MSI) for the virtual machine. See 'https://aka.ms/azure-msi-docs'. Status code: 400, status message: Bad Request").id).toBe("managed-identity-unsupported");
  });

  it("names a CI job that got no OIDC token (GitHub Actions' id-token permission) as federation's, not a missing sign-in", () => {
    // azure/login's own message, then @actions/core's (src/common/LoginConfig.ts, packages/core/src/oidc-utils.ts).
    const answer = explain("Error: Failed to fetch federated token from GitHub. Please make sure to give write permissions to id-token in the workflow.\nError: Login failed with Error: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable. Double check if the 'auth-type' is correct. Refer to https://github.com/Azure/login#readme for more information.");
    expect(answer).toMatchObject({ id: "ci-oidc-token-unavailable", rootCauseClass: "wif_other" });
    expect(answer.confidence).toBeGreaterThan(0.9);
    expect(answer.fix.join(" ")).toContain("id-token: write");
    // Once a token was issued, Entra's refusal names the federated credential.
    expect(explain("Error: AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:contoso/web:ref:refs/heads/main'.").id).toBe("wif-subject-mismatch");
  });

  it("names Terraform that cannot take a federated token when the connection is known to use federation, and a tool never signed in otherwise", () => {
    const cli = "Error: building AzureRM Client: obtain subscription() from Azure CLI: parsing json result from the Azure CLI: waiting for the Azure CLI: exit status 1: ERROR: Please run 'az login' to setup account.";
    expect(explain(cli, { scheme: "workload-identity-federation" })).toMatchObject({ id: "terraform-without-oidc", rootCauseClass: "wif_other" });
    const alone = explain(cli);
    expect(alone.rootCauseClass).toBe("other");
    expect([alone.id, ...alone.alternatives.map((a) => a.id)]).toContain("terraform-without-oidc");
    // Terraform before 1.2 refuses the backend's OIDC arguments TerraformTaskV4 passes: no context needed.
    const init = explain('Error: Invalid backend configuration argument\n\nThe backend configuration argument "use_oidc" given on the command line is not expected for the selected backend type.');
    expect(init).toMatchObject({ id: "terraform-without-oidc", confidence: 0.95 });
    expect(init.fix.join(" ")).toContain("Terraform 1.2 or later");
  });

  it("gives an answer that rests on learned words alone (no code, phrase or identifier) as uncertain", () => {
    const answer = explain("our pipeline's service principal secret rotated last week and now the web deployment job stops");
    expect(answer.id).toBe("secret-expired");
    expect(answer.confidence).toBeLessThanOrEqual(0.35);
    expect(answer.uncertain?.candidates.length).toBeGreaterThan(0);
    // The same cause with its code is as sure as an answer gets.
    expect(explain("AADSTS7000222: The provided client secret keys for app '***' are expired.").confidence).toBe(0.95);
  });

  it("reads other tools' words for failures that are not the connection's", () => {
    expectDiagnoses([
      // A deployment task whose call to ARM got no answer in time: the network, not a missing role.
      ["##[error]Error: Failed to fetch App Service 'web' publishing credentials. Error: Request timeout: /subscriptions/***/resourceGroups/rg/providers/Microsoft.Web/sites/web/config/publishingcredentials/list", "network-or-firewall"],
      ["Error: retrieving Key Vault: keyvault.VaultsClient#Get: Failure sending request: StatusCode=0 -- Original Error: context deadline exceeded", "network-or-firewall"],
      ['│ Error: building AzureRM Client: please ensure you have installed Azure CLI version 2.0.79 or newer. Error parsing json result from the Azure CLI: launching Azure CLI: exec: "az": executable file not found in $PATH.', "agent-or-pool"],
      ["##[error]Error: spawn pwsh ENOENT", "agent-or-pool"],
      ["│ Error: Error acquiring the state lock\n│ Error message: state blob is already locked", "script-or-template-error"],
      ["ERROR: The command failed with an unexpected error. Here is the traceback: 'NoneType' object has no attribute 'get'", "script-or-template-error"],
      ["ERROR: The resource 'Microsoft.KeyVault/vaults/kv1' already exists in location 'westus' in resource group 'rg'. A resource with the same name cannot be created in location 'eastus'.", "resource-name-taken-or-invalid"],
      ["Code: SecretNotFound\nMessage: A secret with (name/id) db-pass was not found in this key vault.", "resource-not-found"],
      ["ERROR: (Conflict) Another operation on this or dependent resource is in progress.", "service-unavailable-or-throttled"],
      ["##[error]Error: Deployment failed: 'Conflict' Sync deployment is already in progress.", "service-unavailable-or-throttled"],
      ["Error: Error building ARM Config: Authenticating using the Azure CLI is only supported as a User (not a Service Principal).", "tool-not-signed-in"],
      // azure/login given neither a subscription nor allow-no-subscriptions: the action's inputs, not the identity.
      ["Error: Ensure 'subscription-id' is supplied or 'allow-no-subscriptions' is 'true'.", "tool-not-signed-in"],
      // The agent exchanging the connection's token for a registry's (a container job's image): the role on the registry.
      ["##[error]Could not acquire ACR token from given AAD token. Please check that the necessary access is provided and try again.", "rbac-authorization-failed"],
      // git's and Docker's own credentials: the job's or a registry's, not an Azure connection's; Azure DevOps' own refusals.
      ["ERROR: TF400813: The user 'aaaaaaaa-0000-4000-8000-000000000001' is not authorized to access this resource.", "devops-permission-denied"],
      ["remote: TF401027: You need the Git 'GenericContribute' permission to perform this action.", "devops-permission-denied"],
      ["##[error]The user 'Project Collection Build Service (contoso)' is not authorized to access this resource.", "devops-permission-denied"],
      ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", "script-or-template-error"],
      ["fatal: Authentication failed for 'https://dev.azure.com/org/project/_git/repo/'", "devops-permission-denied"],
      ["##[error]TF401019: The Git repository with name or identifier repo does not exist or you do not have permissions for the operation you are attempting.", "devops-permission-denied"],
      ['##[error]Error response from daemon: Get "https://contoso.azurecr.io/v2/": unauthorized: authentication required', "tool-not-signed-in"],
      // Az PowerShell's advice to sign in misleads: the principal signed in and may read no subscription.
      ["##[error]No subscription found in the context. Please ensure that the credentials you provided are authorized to access an Azure subscription, then run Connect-AzAccount to login.", "rbac-authorization-failed"],
      // @azure/identity's ManagedIdentityCredential timing out: no identity on the agent to ask, not a token request that failed.
      ["ManagedIdentityCredential: Authentication unavailable. The request to the managed identity endpoint timed out.", "managed-identity-unsupported"],
      // A tool that cannot sign in with a managed identity at all (jason-johnson's terraform-cli, Terraform before 0.12).
      ["##[error]Error: Managed Service Identity is not supported for Terraform versions before 0.12.0", "managed-identity-unsupported"],
      // The metadata endpoint not answering is a managed identity the agent lacks, not a firewall.
      ["ManagedIdentityCredential authentication unavailable. Get \"http://169.254.169.254/metadata/identity/oauth2/token\": dial tcp 169.254.169.254:80: i/o timeout", "managed-identity-unsupported"],
    ]);
  });

  it("reads ARM's documented deployment error codes that are not the connection's (Troubleshoot common Azure deployment errors)", () => {
    expectDiagnoses([
      ['ERROR: {"code": "DeploymentQuotaExceeded", "message": "Creating the deployment \'main\' would exceed the quota of \'800\'."}', "quota-or-capacity"],
      ['{"code":"ResourceQuotaExceeded","message":"Creating the resource of type \'Microsoft.Web/serverFarms\' would exceed the quota of \'10\' resources per resource group."}', "quota-or-capacity"],
      ["##[error]MissingRegistrationForLocation: The subscription is not registered for the resource type 'components' in the location 'centralus'.", "quota-or-capacity"],
      ['{"code":"SubscriptionNotRegistered","message":"The subscription is not registered to use namespace \'Microsoft.Storage\'."}', "quota-or-capacity"],
      ["ERROR: (FeatureNotSupported) The feature is not supported in this region.", "quota-or-capacity"],
      ['│ Error: Provider registration: the provider "Microsoft.App" is not registered; please register it before continuing', "quota-or-capacity"],
      ["Our pipeline fails because we hit the vCPU quota in West Europe, nothing to do with the service connection", "quota-or-capacity"],
      ['{"code":"DnsRecordInUse","message":"DNS record app.westeurope.cloudapp.azure.com is already used by another public IP."}', "resource-name-taken-or-invalid"],
      ["##[error]ReservedResourceName: The resource name 'microsoft-app' or a part of the name is a trademarked or reserved word.", "resource-name-taken-or-invalid"],
      ['{"code":"ImageNotFound","message":"The platform image \'Canonical:UbuntuServer:18.04-LTS:latest\' is not available."}', "resource-not-found"],
      ["##[error]InvalidContentLink: Unable to download deployment content from 'https://example.org/azuredeploy.json'.", "resource-not-found"],
      ['{"code":"PropertyChangeNotAllowed","message":"Changing property \'osDisk.name\' is not allowed."}', "script-or-template-error"],
      ['{"code":"PrivateIPAddressInReservedRange","message":"Private static IP address 10.0.0.1 falls within reserved IP range of subnet prefix 10.0.0.0/24."}', "script-or-template-error"],
      ["ERROR: (InvalidResourceNamespace) The resource namespace 'Microsoft.Webs' is invalid.", "script-or-template-error"],
      ['{"code":"InvalidApiVersionParameter","message":"The api-version \'2030-01-01\' is invalid."}', "script-or-template-error"],
      ['{"code":"JobSizeExceeded","message":"The deployment size exceeds the maximum allowed size of 4 MB."}', "script-or-template-error"],
      ["ERROR: (BadRequest) The parameter properties.sku has an invalid value.", "script-or-template-error"],
      ["ERROR: (RequestConflict) Cannot modify resource with id '/subscriptions/***/resourceGroups/rg/providers/Microsoft.Web/sites/app' because the resource entity provisioning state is not terminal.", "service-unavailable-or-throttled"],
      ['{"code":"DeploymentActiveAndUneditable","message":"Unable to edit or replace deployment \'main\': previous deployment is still active."}', "service-unavailable-or-throttled"],
      ["ERROR: (GatewayTimeout) The gateway did not receive a response from 'Microsoft.Web' within the specified time period.", "service-unavailable-or-throttled"],
      ["ERROR: (ReadOnlyDisabledSubscription) The subscription '2f3a9c1e' is disabled and therefore marked as read only. You cannot perform any write actions on this subscription until it is re-enabled.", "lock-or-policy-denied"],
      ["ERROR: (InvalidAuthenticationTokenAudience) The access token has been obtained for wrong audience or resource 'https://vault.azure.net'.", "script-or-template-error"],
      ["Error: Code=SubscriptionRequestsThrottled; Message=Number of 'read' requests for subscription 'x' actor 'y' exceeded.", "service-unavailable-or-throttled"],
      ["ERROR: (DisallowedOperation) The current subscription type is not permitted to perform operations on any provider namespace. Please use a different subscription.", "quota-or-capacity"],
    ]);
    // A code of the request's own does not outvote the identity's refusal it wraps.
    expectDiagnoses([['ERROR: (BadRequest) {"code":"AuthorizationFailed","message":"The client \'***\' with object id \'***\' does not have authorization to perform action \'Microsoft.Resources/deployments/validate/action\' over scope \'/subscriptions/***\'."}', "rbac-authorization-failed"]]);
  });

  it("reads Terraform's own diagnostics, kubectl's, App Service's and az's words for a configuration or a tool, not the connection", () => {
    expectDiagnoses([
      ["│ Error: Inconsistent dependency lock file", "script-or-template-error"],
      ['│ Error: Backend initialization required, please run "terraform init"', "script-or-template-error"],
      ["│ Error: Unsupported Terraform Core version", "script-or-template-error"],
      ["│ Error: Reference to undeclared input variable\n│ \n│   on main.tf line 3, in resource \"azurerm_resource_group\" \"rg\":", "script-or-template-error"],
      ["│ Error: Provider produced inconsistent result after apply", "script-or-template-error"],
      ['error: unable to recognize "deploy.yaml": no matches for kind "Deployment" in version "extensions/v1beta1"', "script-or-template-error"],
      ['error: exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"', "script-or-template-error"],
      ["##[error]Error: Package deployment using ZIP Deploy failed. Refer logs for more details.", "script-or-template-error"],
      ["##[error]Error: Input required: backendAzureRmStorageAccountName", "script-or-template-error"],
      ["ERROR: az: 'containerapp' is misspelled or not recognized by the system.", "script-or-template-error"],
      ["ERROR: An error occurred. Pip failed with status code 1. Use --debug for more information.", "agent-or-pool"],
      ["Error: Cannot find module 'express'\nRequire stack:\n- /home/vsts/work/1/s/server.js", "script-or-template-error"],
      ["ModuleNotFoundError: No module named 'azure.identity'", "script-or-template-error"],
      ["##[error]Error: Failed to fetch App Service 'app' application settings. Error: Could not find App Service with name app", "resource-not-found"],
      ['Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" in the namespace "prod"', "script-or-template-error"],
      ["Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress", "service-unavailable-or-throttled"],
      ["Error: INSTALLATION FAILED: cannot re-use a name that is still in use", "script-or-template-error"],
      ["##[error]Unable to find template file: D:\\a\\1\\s\\azuredeploy.json", "resource-not-found"],
    ]);
    // AKS with Azure RBAC for Kubernetes names the connection's principal by its object id: its missing role.
    expectDiagnoses([['Error from server (Forbidden): deployments.apps is forbidden: User "8d1f7b38-0000-4000-8000-00000000c1d2" cannot list resource "deployments" in API group "apps" in the namespace "prod": User does not have access to the resource in Azure. Update role assignment to allow access.', "rbac-authorization-failed"]]);
    // A registry Terraform could not reach is the network, whatever Terraform's summary; an empty connection input is the connection's.
    expectDiagnoses([
      ["│ Error: Failed to query available provider packages\n│ Could not retrieve the list of available versions for provider hashicorp/azurerm: could not connect to registry.terraform.io: Failed to request discovery document: Get \"https://registry.terraform.io/.well-known/terraform.json\": dial tcp: lookup registry.terraform.io: i/o timeout", "network-or-firewall"],
      ["##[error]Input required: backendServiceArm", "subscription-variable-runtime"],
    ]);
  });

  it("reads PowerShell's and Az PowerShell's own words: a script's errors, a module the agent lacks, a session without the task's sign-in", () => {
    expectDiagnoses([
      ["##[error]Cannot index into a null array.", "script-or-template-error"],
      ["##[error]You cannot call a method on a null-valued expression.", "script-or-template-error"],
      ['##[error]Cannot find an overload for "Add" and the argument count: "1".', "script-or-template-error"],
      ["##[error]Import-Module : The specified module 'SqlServer' was not loaded because no valid module file was found in any module directory.", "agent-or-pool"],
      ["Install-Module: No match was found for the specified search criteria and module name 'Az'. Try Get-PSRepository to see all available registered module repositories.", "agent-or-pool"],
      ["##[error]The remote server returned an error: (404) Not Found.", "resource-not-found"],
      // az login without the connection asks a person to sign in: a pipeline has nobody to answer.
      ["To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD1234 to authenticate.", "tool-not-signed-in"],
      // Start-Job or another runspace has none of the task's context: the script's session, not the connection.
      ["Your Azure credentials have not been set up or have expired, please run Connect-AzAccount to set up your Azure credentials.", "tool-not-signed-in"],
      ['Set-AzContext : The provided account 8d1f7b38 does not have access to subscription ID "2f3a9c1e". Please try logging in with different credentials or a different subscription ID.', "rbac-authorization-failed"],
    ]);
  });

  it("reads a database that knows the connection's token but has no user for it as a database permission, and its firewall as the network", () => {
    expectDiagnoses([
      ["##[error]Login failed for user '<token-identified principal>'.", "database-access-denied"],
      ['Msg 916: The server principal "<token-identified principal>" is not able to access the database "appdb" under the current security context.', "database-access-denied"],
      ["##[error]Invoke-Sqlcmd : A network-related or instance-specific error occurred while establishing a connection to SQL Server. The server was not found or was not accessible.", "network-or-firewall"],
      ["Cannot open server 'sql1' requested by the login. Client with IP address '20.1.2.3' is not allowed to access the server. Login failed for user '<token-identified principal>'.", "network-or-firewall"],
    ]);
    // The schema's own conflicts, a password login and PostgreSQL's address rules are not the connection's.
    expectDiagnoses([
      ["##[error]*** The column [dbo].[Orders].[Legacy] is being dropped, data loss could occur.", "script-or-template-error"],
      ["##[error]Error SQL72014: Core Microsoft SqlClient Data Provider: Msg 2714, Level 16, State 6, Line 1 There is already an object named 'Orders' in the database.", "script-or-template-error"],
      ["##[error]Login failed for user 'sqladmin'.", "script-or-template-error"],
      ['Status=403 Code="AuthenticationFailed" Message="Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature."', "script-or-template-error"],
      ["##[error]ERROR 1045 (28000): Access denied for user 'admin'@'10.0.0.4' (using password: YES)", "script-or-template-error"],
      ['psql: error: connection to server at "pg.postgres.database.azure.com" (20.1.2.3), port 5432 failed: FATAL:  no pg_hba.conf entry for host "52.1.2.3", user "admin", database "app", SSL on', "network-or-firewall"],
      ["##[error]Msg 1205, Level 13: Transaction (Process ID 57) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.", "service-unavailable-or-throttled"],
      // A statement the service principal's database user may not run, inside SqlPackage's wrapper: still the database's permission.
      ["##[error]Error SQL72014: Core Microsoft SqlClient Data Provider: Msg 262, Level 14, State 1, Line 1 CREATE TABLE permission denied in database 'appdb'.", "database-access-denied"],
    ]);
    const answer = explain("Login failed for user '<token-identified principal>'.");
    expect(answer.rootCauseClass).toBe("authorization_failed_rbac");
    expect(answer.fix.join(" ")).toContain("FROM EXTERNAL PROVIDER");
  });

  it("tells a service connection the run may not use from the other resources Azure DevOps refuses in the same words", () => {
    expectDiagnoses([
      ["##[error]The pipeline is not valid. Job Deploy: Environment production could not be found. The environment does not exist or has not been authorized for use.", "pipeline-resource-not-authorized"],
      ["The pipeline is not valid. Job Build: Variable group shared could not be found. The variable group does not exist or has not been authorized for use. For authorization details, refer to https://aka.ms/yamlauthz.", "pipeline-resource-not-authorized"],
      ["##[error]The pipeline is not valid. Job Deploy: Step input azureSubscription references service connection prod which could not be found. The service connection does not exist, has been disabled or has not been authorized for use.", "pipeline-not-authorized"],
      ["Service connection : kv-conn used in variable group : secrets is not valid. Either service connection does not exist or has not been authorized for use.", "pipeline-not-authorized"],
      ["##[error]The pipeline is not valid. Could not find a pool with name Linux. The pool does not exist or has not been authorized for use.", "agent-or-pool"],
      // A task the organization has not installed: its name is no task log's header, and no scheme is in question.
      ["##[error]A task is missing. The pipeline references a task called 'TerraformTaskV4'. This usually indicates the task isn't installed, and you may be able to install it from the Marketplace: https://marketplace.visualstudio.com.", "script-or-template-error"],
      ["/azure-pipelines.yml (Line: 3, Col: 1): A sequence was not expected", "script-or-template-error"],
    ]);
    // Terraform's Azure cloud environment (ARM_ENVIRONMENT) is no pipeline environment.
    expect(explain("Error: an Azure Environment with name 'chinacloud' was not found: environment not found").id).not.toBe("pipeline-resource-not-authorized");
  });

  it("reads the tenant's app management policy refusing a secret apart from the creator's missing directory rights", () => {
    expectDiagnoses([
      ["ERROR: Credential lifetime exceeds the max value allowed as per assigned policy.", "credential-policy-denied"],
      ["Failed to create an app in Microsoft Entra ID. Error: Credential lifetime exceeds the max value allowed as per assigned policy.", "credential-policy-denied"],
      ['{"error":{"code":"CredentialTypeNotAllowedAsPerAssignedPolicy","message":"Password credentials are not allowed as per assigned policy."}}', "credential-policy-denied"],
      ["Failed to create an app in Microsoft Entra ID. Error: Insufficient privileges to complete the operation in Microsoft Graph. Ensure that the user has permissions to create a Microsoft Entra Application.", "app-registration-disallowed"],
    ]);
    expect(explain("ERROR: Credential lifetime exceeds the max value allowed as per assigned policy.").fix[0]).toContain("workload identity federation");
  });

  it("reads a person's words for the guide's causes", () => {
    expectDiagnoses([
      ["How do I renew the secret of the service principal used by my Azure DevOps service connection? It expired and deployments stopped", "secret-expired"],
      ["AzureFileCopy fails uploading to blob storage even though the SPN is Contributor on the storage account", "rbac-authorization-failed"],
      // A person's account from another directory: the same reading for AADSTS50020 and for another identity provider's 90072.
      ["AADSTS50020: User account 'x@fabrikam.com' from identity provider 'https://sts.windows.net/1a2b/' does not exist in tenant 'Contoso' and cannot access the application '499b84ac-1321-427f-aa17-267ca6975798'(Azure DevOps) in that tenant.", "subscription-in-other-tenant"],
      ["AADSTS90072: User account 'x@outlook.com' from identity provider 'live.com' does not exist in tenant 'Contoso' and cannot access the application '499b84ac-1321-427f-aa17-267ca6975798'(Azure DevOps) in that tenant.", "subscription-in-other-tenant"],
      ["Failed to set Azure permission 'RoleAssignmentId: 1a2b' for the service principal '3c4d' on subscription ID '5e6f': error code: Forbidden", "contributor-assignment-failed"],
      ["##[error]Error: Could not find any file matching the pattern D:\\a\\1\\s\\drop\\*.zip", "resource-not-found"],
    ]);
  });

  it("blames the connection on learned words only where the text speaks of access; a server's or the agent's certificate is not the connection's", () => {
    // Tasks' own messages (microsoft/azure-pipelines-tasks task.json): DotNetCoreInstaller@1 WarningVersionNotFound,
    // KubernetesManifest@0 DownloadKubeCtlFailed, UseDotNet@2 FailedToReadGlobalJson, UsePythonVersion@0
    // ToolNotFoundMicrosoftHosted. Their words ("could not fetch", "version", "not supported") are the connection
    // failures' too; they named a connection cause before.
    expectNotBlamed([
      "##[error]Could not fetch download information for version 3.1.x. Please check if the version specified is correct.",
      "##[error]Can not download the kubectl client of version 1.29.0. Check if the version is correct https://github.com/kubernetes/kubernetes/releases",
      "##[error]The global.json at path: '/home/vsts/work/1/s/global.json' has the wrong format. Error while trying to read: Unexpected token",
      "##[error]If this is a Microsoft-hosted agent, check that this image supports side-by-side versions of Python at /opt/hostedtoolcache.",
    ]);
    // With access named, the learned words still count (an answer given as uncertain).
    expect(explain("our pipeline's service principal secret rotated last week and now the web deployment job stops").id).toBe("secret-expired");
    // InstallAppleCertificate@2 CertExpiredError, IISWebAppManagementOnMachineGroup@0, a server's TLS certificate.
    for (const text of [
      'Certificate "Apple Distribution: Contoso (ABCDE12345)" (fingerprint: 0A1B2C) expired on 2024-01-01',
      "##[error]SSL Certificate thumbprint missing in the https binding : ( web/*:443 )",
      "The certificate with thumbprint 0A1B2C3D is not present in the local certificate store.",
    ]) {
      expect(explain(text).id, text).not.toBe("certificate-invalid");
    }
    // az's own words that share a diagnosis's word (its error strings in the Debian azure-cli sources).
    expectNotBlamed([
      "ERROR: Failed to install Guest Attestation Extension for Trusted Launch. Conflict",
      "ERROR: specifying fewer than 2 characters for day is ambiguous.",
      "ERROR: usage error: please specify both --role and --scope when assigning a role to the managed identity",
      "ERROR: Certificate for thumbprint '0A1B2C3D' not found",
      // azd's: an empty subscription id in a reference is the reference's, not an empty subscription list.
      "ERROR: invalid akvs:// reference 'akvs:///kv-app/db-pass': subscription-id must not be empty",
    ]);
    expectDiagnoses([
      ["curl: (60) SSL certificate problem: certificate has expired", "network-or-firewall"],
      ["Get https://registry.contoso.com/v2/: x509: certificate has expired or is not yet valid", "network-or-firewall"],
      ["AADSTS700027: The certificate with identifier used to sign the client assertion is expired on application.", "certificate-invalid"],
    ]);
  });

  it("reads a role assignment the template asks wrongly as the template's, a feed's refusal as Azure DevOps', and PrincipalNotFound as undecided", () => {
    expectDiagnoses([
      ["##[error]RoleAssignmentExists: The role assignment already exists. The ID of the existing role assignment is 0a0b0c0d0e0f40008000000000000001.", "script-or-template-error"],
      ["##[error]InvalidPrincipalId: A valid principal ID must be provided for role assignment.", "script-or-template-error"],
      ["##[error]The nuget command failed with exit code(1) and error(Response status code does not indicate success: 401 (Unauthorized).)", "devops-permission-denied"],
      ["AADSTS50196: The server terminated an operation because it encountered a client request loop.", "service-unavailable-or-throttled"],
      ["##[error]Error: Failed to get access token: Error: connect ETIMEDOUT 169.254.169.254:80", "managed-identity-unsupported"],
      ["Our deployments fail because the agent cannot reach management.azure.com behind the corporate firewall.", "network-or-firewall"],
      ["##[error]Error: Failed to deploy web package using OneDeploy to App Service. Conflict (CODE: 409)", "service-unavailable-or-throttled"],
      ["##[error]ERROR_SITE_DOES_NOT_EXIST: The site 'web' does not exist.", "resource-not-found"],
      ["Error:  Reading terraform configuration: ManagedServiceIdentity AuthenticationScheme is not supported yet", "script-or-template-error"],
      ["##[error]Access denied. Caller was not found on any access policy. Caller: appid=x;oid=y;iss=z Vault: kv;location=westeurope", "key-vault-access-denied"],
      ["##[error]Azure Active Directory only authentication is enabled. Please contact your system administrator.", "script-or-template-error"],
      ["##[error]Could not load file or assembly 'Microsoft.Identity.Client, Version=4.56.0.0, Culture=neutral, PublicKeyToken=0a613f4dd989e8ae'.", "agent-or-pool"],
      ["##[error]kubelogin is not installed. Please install kubelogin and make sure it is in PATH.", "agent-or-pool"],
      ["Error: Deployment Failed, Error: Valid credentials are not available. Add Azure Login action before this action or provide publish-profile input.", "tool-not-signed-in"],
      // The resource's own setting refuses everyone: App Service basic authentication off, a disabled secret.
      ["##[error]Error: App Service is configured to not use basic authentication and failed to use MSDeploy token authentication.", "lock-or-policy-denied"],
      ["##[error]Get secrets failed. Error: Operation get is not allowed on a disabled secret.", "lock-or-policy-denied"],
      ["##[error]Azure CLI not found on the agent.", "agent-or-pool"],
      // A script's az login handed an empty $idToken (AzureCLI@2 without addSpnToEnvironment), and an agent's Az too old to federate.
      ["az login: error: argument --federated-token: expected one argument", "pipelines-credential-misconfigured"],
      ["##[error]A parameter cannot be found that matches parameter name 'FederatedToken'.", "task-lacks-wif-support"],
      ["##[error]Failed to get the OIDC token: Request failed with status code 401", "task-lacks-wif-support"],
      // A registry that names the identity it refused (403) is a missing role, not a missing login.
      ["ERROR: Unable to get AAD authorization tokens with message: An error occurred: CONNECTIVITY_REFRESH_TOKEN_ERROR\nAccess to registry 'acr.azurecr.io' was denied. Response code: 403.", "rbac-authorization-failed"],
      ["Error response from daemon: pull access denied for contoso/api, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", "tool-not-signed-in"],
      ["##[error]Access to the path 'C:\\agent\\_work\\1\\s\\bin\\app.dll' is denied.", "agent-or-pool"],
      ["##[error]HttpError: Bad credentials", "script-or-template-error"],
      ["ERROR: User '***' does not exist in MSAL token cache. Run `az login`.", "tool-not-signed-in"],
      ["##[error]The 'Az.Accounts' module version 2.12.1 is required but 2.10.0 is installed.", "agent-or-pool"],
      ["The Azure CLI task fails because the self-hosted agent doesn't have az installed.", "agent-or-pool"],
      ["The principal does not have the required permissions to perform 'Microsoft.ServiceBus/namespaces/topics/send' on the resource.", "rbac-authorization-failed"],
      ["##[error]Unable to find type [Microsoft.Azure.Commands.Common.Authentication.Abstractions.AzureEnvironment].", "agent-or-pool"],
      // Each tool's own words, read without the rest of its message.
      ["Please configure Managed Service Identity (MSI) for virtual machine 'https://aka.ms/azure-msi-docs'. Status code: 400, status message: Bad Request", "managed-identity-unsupported"],
      ["Error: Unable to list provider registration status, it is possible that this is due to invalid credentials or the service principal does not have permission to use the Resource Manager API", "rbac-authorization-failed"],
      ["Error: graphrbac.ApplicationsClient#Create: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403", "app-registration-disallowed"],
      // A person's words: an Azure role where the principal acts is not a role on the connection; a lapsed session; a run-time name.
      ["The deployment fails because the service principal only has Reader on the resource group; it needs Contributor to create the web app.", "rbac-authorization-failed"],
      ["The service connection page keeps saying my token is expired even though I just logged in; signing out of Azure DevOps and back in fixed it.", "session-expired"],
      ["We pass the service connection name as a runtime parameter and the pipeline fails to find it because templates are expanded before runtime.", "subscription-variable-runtime"],
      ["The service principal for the service connection no longer exists in Entra ID.", "service-principal-missing"],
      ["Service connection was deleted, but the associated app registration could not be removed: Insufficient privileges to complete the operation.", "delete-cleanup-failed"],
      ["The managed identity service connection can only be used on self-hosted agents running on Azure virtual machines with that identity.", "managed-identity-unsupported"],
      ["No subscriptions were found in the directory. The account belongs to several directories; switch the directory.", "subscription-in-other-tenant"],
    ]);
    // A site's certificate by App Service tier and a subnet's service endpoint are no connection's certificate or subscription list.
    expectNotBlamed(["ERROR: Managed Certificate is not supported on Free and Shared tier.", "ERROR: Cannot validate subnet in different subscription for missing service endpoint."]);
    // A registry's "authentication required" is a missing login, a lapsed one or a wrong credential: said so.
    const registry = explain('Error response from daemon: Get "https://acrweb.azurecr.io/v2/": unauthorized: authentication required');
    expect(registry).toMatchObject({ id: "tool-not-signed-in", confidence: 0.6 });
    expect(registry.undecided?.checks.join(" ")).toMatch(/az acr login/);
    // ARM's SubscriptionNotFound is another tenant, a wrong or cancelled subscription, or no role on it: said so.
    const notFound = explain(`Failed to query service connection API: 'https://management.azure.com/subscriptions/1234?api-version=2016-06-01'. Status Code: 'NotFound', Response from server: '{"error":{"code":"SubscriptionNotFound","message":"The subscription '1234' could not be found."}}'`);
    expect(notFound).toMatchObject({ id: "subscription-in-other-tenant", confidence: 0.6 });
    expect(notFound.undecided?.checks.join(" ")).toMatch(/az role assignment list/);
    // az login's parser refusing the secret: one that begins with '-', or an empty variable in a script.
    const dash = explain("az login: error: argument -p/--password: expected one argument");
    expect(dash).toMatchObject({ id: "secret-invalid", confidence: 0.6 });
    expect(dash.undecided?.checks.join(" ")).toMatch(/begin with '-'/);
    // Kudu's bare 403 is access restrictions on the SCM site, or a token deployment's missing role: said so.
    const scm = explain("##[error]Error: Failed to fetch Kudu App Settings. Error: Forbidden (CODE: 403)");
    expect(scm).toMatchObject({ id: "network-or-firewall", confidence: 0.6 });
    expect(scm.undecided?.checks.join(" ")).toMatch(/Access restrictions/);
    // No secret and no assertion at all: an empty secret, or a task without federation given a federation connection.
    const none = explain("AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    expect(none).toMatchObject({ id: "secret-invalid", confidence: 0.6 });
    expect(none.undecided?.checks.join(" ")).toMatch(/support federation/);
    // ARM's expired token: a federated step that outlived its token, or a script's reused one.
    const expired = explain("ERROR: (ExpiredAuthenticationToken) The access token expiry UTC time '6/15/2026 8:22:51 AM' is earlier than current UTC time '6/15/2026 9:27:25 AM'.");
    expect(expired).toMatchObject({ id: "wif-assertion-expired", confidence: 0.6 });
    expect(expired.undecided?.checks.join(" ")).toMatch(/how long/);
    // Kudu's bare 401 is basic authentication turned off, or a token deployment's missing role: said so.
    const kudu = explain("##[error]Error: Failed to deploy web package to App Service. Unauthorized (CODE: 401)");
    expect(kudu).toMatchObject({ id: "lock-or-policy-denied", confidence: 0.6 });
    expect(kudu.undecided?.checks.join(" ")).toMatch(/SCM Basic Auth/);
    // Verify's bare JWT failure names no reason: undecided, with where the reason is.
    const jwt = explain("Verification failed: Failed to obtain the Json Web Token (JWT) using service principal client ID.");
    expect(jwt).toMatchObject({ id: "jwt-acquisition-failed", confidence: 0.6 });
    expect(jwt.undecided?.checks.join(" ")).toMatch(/Exception Message/);
    expect(explain("Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception Message: The SSL connection could not be established, see inner exception.").confidence).toBe(0.95);
    // ARM knew the caller: the principal it cannot find is the assignee, the connection's only if it is the one assigned.
    const principal = explain(armErrors.principalNotFound("0b0b0b0b-0000-4000-8000-000000000000", "t").message);
    expect(principal).toMatchObject({ id: "service-principal-missing", confidence: 0.6 });
    expect(principal.undecided?.checks.join(" ")).toMatch(/principalType/);
  });

  it("answers the likeliest root-cause class: diagnoses of one class that share the evidence outweigh another's single best", () => {
    const d = (id: string) => CATALOG.find((c) => c.id === id)!;
    const scored = (id: string, score: number) => ({ diagnosis: d(id), score, evidence: score });
    // Two ways of "not the connection" just behind one connection cause: together they are likelier.
    const split = [scored("rbac-authorization-failed", 6), scored("network-or-firewall", 5.6), scored("resource-not-found", 5.5)];
    expect(likeliestClassFirst(split).map((s) => s.diagnosis.id)).toEqual(["network-or-firewall", "rbac-authorization-failed", "resource-not-found"]);
    // A clear lead stands, and so does an order whose runner-up class is below the recognition threshold.
    const clear = [scored("rbac-authorization-failed", 9), scored("network-or-firewall", 5.6), scored("resource-not-found", 5.5)];
    expect(likeliestClassFirst(clear)).toEqual(clear);
    const weak = [scored("rbac-authorization-failed", 2.5), scored("network-or-firewall", 2.2), scored("resource-not-found", 2.2)];
    expect(likeliestClassFirst(weak)).toEqual(weak);
  });

  it("reads a sign-in the tenant's Conditional Access asks more of as a session to renew, and a block as undecided between a person and the connection's identity", () => {
    // Entra's texts (AADSTS50076, 50079, 530003, 53003) as az and the tasks print them.
    for (const text of [
      "ERROR: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '797f4846-ba00-4fd7-ba43-dac1f8f63013'. Trace ID: 1",
      "AADSTS50079: Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access 'https://management.core.windows.net/'.",
      '{"error":"invalid_grant","error_description":"AADSTS530003: Your device is required to be managed to access this resource.","error_codes":[530003]}',
    ]) {
      expect(explain(text), text).toMatchObject({ id: "session-expired", rootCauseClass: "session_token_expired", confidence: 0.95 });
    }
    // A person signed in to a directory their account is not in: the subscription's tenant is another.
    expect(explain("AADSTS50034: The user account {EUII Hidden} does not exist in the contoso.onmicrosoft.com directory. To sign into this application, the account must be added to the directory.").id).toBe("subscription-in-other-tenant");
    const blocked = explain("##[error]AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.");
    expect(blocked.id).toBe("session-expired");
    expect(blocked.undecided?.reason).toContain("workload identities");
    expect(blocked.confidence).toBeLessThanOrEqual(0.6);
  });

  it("tries a phrase family's every wording: the prefilter's literals are in each of them", () => {
    // Each needed a literal of another wording before its pattern was tried (a prefilter that named one variant).
    for (const text of ["##[error]The subscription '2f3a9c1e-1111-2222-3333-444455556666' could not be found.", 'The subscription "2f3a9c1e-1111-2222-3333-444455556666" could not be found.']) {
      expect(explain(text).id, text).toBe("subscription-in-other-tenant");
    }
    expectDiagnoses([
      ["Error: Failed to fetch federated token from GitHub.", "ci-oidc-token-unavailable"],
      ["ERROR: Storage account 'stweb' not found.", "resource-not-found"],
      ["##[error]Job deploy: resource is not authorized. The service connection prod needs to be authorized.", "pipeline-not-authorized"],
      ["Failed to remove the Azure permission 'Contributor' for the service principal.", "delete-cleanup-failed"],
      // Entra ID's "Insufficient privileges" while deleting the connection's application is a clean-up, not a registration.
      ["Failed to delete the application '8d1f7b38' in Microsoft Entra ID. Error: Insufficient privileges to complete the operation.", "delete-cleanup-failed"],
      ["Client address (20.1.2.3) is not authorized and caller is not a trusted service.", "network-or-firewall"],
      // A name in double quotes, as a person retyping or a tool's JSON gives it, reads as in single ones.
      ['ERROR: The Resource "Microsoft.Web/sites/web" under resource group "rg" was not found.', "resource-not-found"],
      // The variable group editor linking a vault, and a run waiting on several resources' permits.
      ['Specified Azure service connection needs to have "Get, List" secret management permissions on the selected key vault.', "key-vault-access-denied"],
      ["This pipeline needs permission to access 2 resources before this run can continue to Build: variable group kv-secrets, service connection prod-arm", "pipeline-not-authorized"],
    ], 0.95);
  });

  it("answers unknown for text it does not recognise, and for empty text", () => {
    expect(explain("").id).toBe("unknown");
    expect(explain("The quick brown fox").id).toBe("unknown");
  });

  it("says a failure that names nothing of access is not the connection's, uncertain, with what it may be instead", () => {
    for (const text of ["##[error]Approval timed out", "##[error]The step 'Deploy' timed out after 60 minutes", "##[error]The artifact drop was not published by the build."]) {
      const answer = explain(text);
      expect(answer, text).toMatchObject({ id: "not-about-access", rootCauseClass: "other", confidence: 0.4 });
      expect(answer.uncertain?.question, text).toMatch(/just before this line/);
      expect(answer.fix.join(" "), text).not.toMatch(/az role|az ad|federat|secret/i);
      for (const a of answer.alternatives) expect(a.rootCauseClass, text).toBe("other");
    }
    // Two summaries pasted together are still only summaries.
    expect(explain("##[error]Bash exited with code '1'.\n##[error]The process '/usr/bin/az' failed with exit code 2").id).toBe("unknown");
    // A step's exit summary says what failed elsewhere, which may be the connection; words of access are left to the diagnoses.
    expect(explain("##[error]Bash exited with code '1'.").id).toBe("unknown");
    expect(explain("##[error]Terraform command 'init' failed with exit code '1'.").id).toBe("unknown");
    expect(explain("##[error]The token could not be read by the frobnicator.").rootCauseClass).not.toBe("other");
    expect(explain("##[error]The password for the account has expired.").rootCauseClass).not.toBe("other");
  });

  it("names the right id for each message the emulator produces", () => {
    const cases: Array<[string, string]> = [
      [aadsts.invalidClientSecret("a").message, "secret-invalid"],
      [aadsts.expiredClientSecret("a").message, "secret-expired"],
      [aadsts.applicationNotFound("a", "Contoso").message, "app-not-found"],
      [aadsts.missingServicePrincipal("a", "t").message, "service-principal-missing"],
      [aadsts.applicationDisabled("a", "n").message, "app-disabled"],
      [aadsts.tenantNotFound("t").message, "tenant-not-found"],
      [aadsts.invalidTenantIdentifier("t").message, "tenant-not-found"],
      [aadsts.missingClientCredential().message, "secret-invalid"],
      [aadsts.assertionOutsideTimeRange(0, 0, 0).message, "wif-assertion-expired"],
      [aadsts.assertionKeyNotFound("AB", "a").message, "certificate-invalid"],
      [aadsts.assertionSignatureInvalid("AB", "a", "s", "e").message, "certificate-invalid"],
      [aadsts.certificateOutsideValidity("AB").message, "certificate-invalid"],
      [aadsts.noMatchingFederatedIssuer("https://vstoken.dev.azure.com/x").message, "wif-issuer-mismatch"],
      [aadsts.noMatchingFederatedSubject("sc://a/b/c").message, "wif-subject-mismatch"],
      [aadsts.noMatchingFederatedRecord("https://login.microsoftonline.com/t/v2.0", "sc://a/b/c", "api://AzureADTokenExchange").message, "wif-subject-mismatch"],
      [aadsts.noFederatedCredentials().message, "wif-no-federated-credentials"],
      [aadsts.federationRequiresSingleTenant().message, "wif-multitenant-app"],
      // Microsoft Graph refusing a federated credential (svcconn's Graph plane gives these on the real rules).
      [graphErrors.federatedNameExists("main").message, "wif-credential-setup-failed"],
      [graphErrors.federatedDuplicate().message, "wif-credential-setup-failed"],
      [graphErrors.tooManyFederatedCredentials().message, "wif-credential-setup-failed"],
      [armErrors.authorizationFailed("a", "o", "Microsoft.Storage/storageAccounts/write", "/subscriptions/s").message, "rbac-authorization-failed"],
      [armErrors.authorizationFailed("dev@contoso.com", "o", "Microsoft.Authorization/roleAssignments/write", "/subscriptions/s").message, "contributor-assignment-failed"],
      [armErrors.wrongTenant("a", "b").message, "subscription-in-other-tenant"],
      [armErrors.principalNotFound("0b0b0b0b-0000-4000-8000-000000000000", "t").message, "service-principal-missing"],
    ];
    for (const [message, id] of cases) expect(explain(message).id, message).toBe(id);
  });

  it("names the right id for each validation message the pipelines plane produces", async () => {
    const step = (connection: string) => `  - task: AzureCLI@2\n    inputs:\n      azureSubscription: ${connection}\n      scriptType: bash\n      scriptLocation: inlineScript\n      inlineScript: az account show\n`;
    const connection = (name: string, type = "azurerm", scheme = "ServicePrincipal") => ({ id: crypto.randomUUID(), name, type, scheme, url: "https://management.azure.com/", isReady: true, isDisabled: false });
    const connections = [connection("ok"), connection("twin"), connection("Twin"), connection("gh", "github", "Token")];
    const validation = async (steps: string, authorized = true) => {
      const compiled = compilePipeline({ yamlPath: "/p.yml", readFile: () => `steps:\n${steps}`, templateParameters: {}, queueVariables: {} });
      const resolution = await resolveConnections(compiled, { connections, isAuthorized: async () => authorized, queueVariables: {} });
      return pipelineNotValid(resolution.errors);
    };
    const cases: Array<[string, string]> = [
      [await validation(step("ok"), false), "pipeline-not-authorized"],
      [await validation(step("missing")), "pipeline-not-authorized"],
      [await validation(step("$(fromAStep)")), "subscription-variable-runtime"],
      [await validation(step("twin")), "connection-name-ambiguous"],
      [await validation(step("gh")), "connection-type-mismatch"],
      // The scheme form (no task in svcconn's catalog restricts schemes at compile time yet; the sentence is resolve-connections'):
      ["The pipeline is not valid. Job Job: Step input ConnectedServiceNameARM expects a service connection of type AzureRM with authentication scheme ServicePrincipal,ManagedServiceIdentity but the provided service connection wif is of type AzureRM using authentication scheme WorkloadIdentityFederation.", "task-lacks-wif-support"],
      ["Could not find a pool with name vm-agents. The pool does not exist or has not been authorized for use. For authorization details, refer to https://aka.ms/yamlauthz.", "agent-or-pool"],
    ];
    for (const [message, id] of cases) expect(explain(message).id, message).toBe(id);
  });

  it("names the right id for each message the Azure DevOps plane produces", () => {
    const denied = "The client 'dev@contoso.onmicrosoft.com' with object id 'o' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/s' or the scope is invalid.";
    const cases: Array<[string, string]> = [
      [(messages.sessionExpired("AADSTS700082: The refresh token has expired due to inactivity.")), "session-expired"],
      [(messages.noSubscription()), "subscription-in-other-tenant"],
      [(messages.guest("Insufficient privileges to complete the operation.")), "guest-permission"],
      [(messages.appRegistration()), "app-registration-disallowed"],
      [(messages.contributor("AuthorizationFailed", denied)), "contributor-assignment-failed"],
      [devopsErrors.noCreatePermission().message, "endpoint-creator-role-missing"],
      [devopsErrors.noUsePermission("prod").message, "endpoint-role-missing"],
      [devopsErrors.noManagePermission("prod").message, "endpoint-role-missing"],
      [devopsErrors.duplicateName("prod").message, "duplicate-connection-name"],
      [devopsErrors.unsupportedOnServer("WorkloadIdentityFederation").message, "scheme-unsupported-on-server"],
      [`Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception message: ${aadsts.applicationDisabled("a", "n").message}`, "app-disabled"],
      [`Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception message: ${aadsts.expiredClientSecret("a").message}`, "secret-expired"],
      ["Failed to remove Azure permission 'RoleAssignmentId: r' for service principal 's' on subscription ID 'x': error code: NotFound. Failed to remove the service principal from Microsoft Entra ID. Error: Resource 'a' does not exist.", "delete-cleanup-failed"],
      ["Failed to update the application 'a' of the service connection in Microsoft Entra ID. Error: Insufficient privileges to complete the operation. Ensure that you may change the application (owner or Application Administrator).", "application-change-denied"],
    ];
    for (const [message, id] of cases) expect(explain(message).id, message).toBe(id);
  });
});

describe("assistant prompt", () => {
  it("holds the error, the diagnosis and the identifiers, with secrets redacted", () => {
    const text = "AADSTS7000215: Invalid client secret provided for app 'a1b2c3d4-0000-4000-8000-000000000001'. client_secret=Svc8Q~abcdefghijklmnop Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig";
    const prompt = assistantPrompt(text, explain(text));
    expect(prompt).toContain("I'm getting this Azure DevOps service connection error:");
    expect(prompt).toContain("(id 'secret-invalid'");
    expect(prompt).toContain("clientId: a1b2c3d4-0000-4000-8000-000000000001");
    expect(prompt).toContain("1. Identify the root cause");
    expect(prompt).not.toContain("Svc8Q~abcdefghijklmnop");
    expect(prompt).not.toContain("eyJzdWIiOiIxMjM0NTY3ODkwIn0");
    expect(redact("password: hunter2hunter2")).toBe("password: [redacted]");
  });
});
