import { writeFileSync } from "node:fs";
import { join } from "node:path";
import tl from "azure-pipelines-task-lib/task.js";
import { ConnectionCredentials } from "../lib/arm-credentials.js";

/**
 * AzureKeyVault@2 (Tasks/AzureKeyVaultV2: task-runner.ts, operations/KeyVault.ts and azure-arm-keyvault.ts;
 * docs/reference/pipelines.md §1.10), also the step Azure Pipelines adds for a Key Vault-linked variable group:
 * a token for `https://vault.azure.net` through the connection, the vault's secrets listed 25 at a time (or the
 * ones named), each downloaded and set as a secret variable; refusals in the task's words, per secret.
 */
const API_VERSION = "2016-10-01";
const VAULT_RESOURCE = "https://vault.azure.net";

interface VaultAnswer {
  status: number;
  body: { value?: unknown; nextLink?: string; error?: { code?: string; message?: string } } & Record<string, unknown>;
}

/** The task library's AzureError from a refused call (`ToError`), which logs an issue with the service's code. */
function toError(answer: VaultAnswer): { statusCode: number; message: string } {
  const error = answer.body.error;
  if (error) console.log(`##vso[task.logissue type=error;code=${error.code};]`);
  return { statusCode: answer.status, message: error?.message ?? JSON.stringify(answer.body) };
}

class KeyVaultTask {
  private readonly connection = tl.getInput("ConnectedServiceName", true) ?? "";
  private readonly subscriptionId = tl.getEndpointDataParameter(this.connection, "SubscriptionId", true) ?? "";
  private readonly vaultName = tl.getInput("KeyVaultName", true) ?? "";
  private readonly credentials = new ConnectionCredentials(this.connection);
  private readonly vaultUrl: string;
  private token: Promise<string> | undefined;
  private provisioningScriptWritten = false;

  constructor() {
    if (this.vaultName !== encodeURIComponent(this.vaultName)) throw `${this.vaultName} is an invalid KeyVault name.`;
    const suffix = tl.getEndpointDataParameter(this.connection, "AzureKeyVaultDnsSuffix", true) || "vault.azure.net";
    this.vaultUrl = `https://${this.vaultName}.${suffix}`;
  }

  async run(): Promise<Record<string, string>> {
    const filter = tl.getDelimitedInput("SecretsFilter", ",", true);
    console.log(`SubscriptionId: ${this.subscriptionId}.`);
    console.log(`Key vault name: ${this.vaultName}.`);
    tl.setVariable("SYSTEM_UNSAFEALLOWMULTILINESECRET", "true");
    const names = filter.length === 0 || (filter.length === 1 && filter[0] === "*") ? await this.enabledSecrets() : filter;
    const errors: Record<string, string> = {};
    for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map((name) => this.download(name.trim(), errors)));
    return errors;
  }

  /** `GET /secrets?maxresults=25`, following nextLink; disabled and expired secrets are left out. */
  private async enabledSecrets(): Promise<string[]> {
    const first = `${this.vaultUrl}/secrets?maxresults=25&api-version=${API_VERSION}`;
    console.log(`Downloading secrets using: ${first}.`);
    const items: Array<{ id: string; attributes: { enabled: boolean; exp?: number } }> = [];
    let url: string | undefined = first;
    while (url) {
      let answer: VaultAnswer;
      try {
        answer = await this.call(url);
      } catch (error) {
        throw `Get secrets failed. Error: ${this.errorText(error)}.`;
      }
      if (answer.status !== 200) throw `Get secrets failed. Error: ${this.errorText(toError(answer))}.`;
      items.push(...((answer.body.value as typeof items | undefined) ?? []));
      url = answer.body.nextLink || undefined;
    }
    if (!items.length) {
      console.log(`No secrets found in: ${this.vaultName}`);
      return [];
    }
    console.log(`Number of secrets found in ${this.vaultName}: ${items.length}`);
    const now = Date.now() / 1000;
    const enabled = items.filter((s) => s.attributes.enabled && (!s.attributes.exp || s.attributes.exp > now)).map((s) => s.id.slice(s.id.lastIndexOf("/") + 1));
    console.log(`Number of enabled and unexpired secrets found in ${this.vaultName}: ${enabled.length}`);
    return enabled;
  }

  private async download(name: string, errors: Record<string, string>): Promise<void> {
    console.log(`Downloading secret value for: ${name}.`);
    try {
      const answer = await this.call(`${this.vaultUrl}/secrets/${encodeURIComponent(name)}?api-version=${API_VERSION}`);
      if (answer.status === 200) return this.setSecretVariable(name, String(answer.body.value ?? ""));
      errors[name] = answer.status === 400 ? `Secret not found: ${name}. Secret name must be a string 1-127 characters in length containing only -, 0-9, a-z and A-Z.` : this.errorText(toError(answer));
    } catch (error) {
      errors[name] = this.errorText(error);
    }
  }

  /** `setVaultVariable`: a secret variable by the name (and by name/version); a multi-line value masked line by line. */
  private setSecretVariable(name: string, value: string): void {
    if (!value) return;
    const plainName = name.split("/")[0]!;
    let stored = value;
    if (/[\r\n]/.test(value) && !/^true$/i.test(tl.getVariable("SYSTEM_DONOTMASKMULTILINESECRETS") ?? "")) {
      const flattened = flattenJson(value);
      if (flattened) {
        console.log(`Value of secret ${name} has been converted to single line.`);
        stored = flattened;
      } else {
        for (const line of value.split(/\r\n|\r|\n/)) if (line) console.log(`##vso[task.setsecret]${line}`);
      }
    }
    tl.setVariable(plainName, stored, true);
    if (plainName !== name) tl.setVariable(name, stored, true);
  }

  /** A call with the connection's Key Vault token; a 401's challenge names the resource to sign in for again. */
  private async call(url: string): Promise<VaultAnswer> {
    let answer = await this.send(url);
    if (answer.status === 401) {
      const resource = /resource="?([^",]+)"?/.exec(answer.headers.get("www-authenticate") ?? "")?.[1];
      if (resource) {
        console.log(`Retrying with vault resource Id reterieved from response : ${resource}`);
        this.token = this.credentials.getToken(resource);
        answer = await this.send(url);
      }
    }
    return { status: answer.status, body: answer.body };
  }

  private async send(url: string): Promise<VaultAnswer & { headers: Headers }> {
    this.token ??= this.credentials.getToken(VAULT_RESOURCE);
    const response = await fetch(url, { headers: { authorization: `Bearer ${await this.token}` } });
    const text = await response.text();
    let body: VaultAnswer["body"] = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: { message: text } };
    }
    return { status: response.status, body, headers: response.headers };
  }

  /** `getError`: a 403 asks for Get and List permissions and leaves ProvisionKeyVaultPermissions.ps1 in the logs. */
  private errorText(error: unknown): string {
    const e = error as { statusCode?: number; message?: string };
    if (e && typeof e === "object" && e.message && e.statusCode === 403) {
      this.provisioningScript();
      return `${e.message}. The specified Azure service connection needs to have Get, List secret management permissions on the selected key vault. To set these permissions, download the ProvisionKeyVaultPermissions.ps1 script from build/release logs and execute it, or set them from the Azure portal.`;
    }
    if (e && typeof e === "object" && e.message) return e.message;
    return String(error);
  }

  private provisioningScript(): void {
    if (this.provisioningScriptWritten) return;
    this.provisioningScriptWritten = true;
    const path = join(tl.getVariable("Agent.BuildDirectory") || tl.getVariable("Agent.ReleaseDirectory") || process.cwd(), "ProvisionKeyVaultPermissions.ps1");
    const servicePrincipal = this.credentials.clientId;
    const objectId = this.credentials.scheme === "ManagedServiceIdentity" ? "$vm.Identity.PrincipalId" : "$spnObjectId";
    const script = `$ErrorActionPreference="Stop";\nLogin-AzureRmAccount -SubscriptionId ${this.subscriptionId};\n$spn=(Get-AzureRmADServicePrincipal -SPN ${servicePrincipal});\n$spnObjectId=$spn.Id;\nSet-AzureRmKeyVaultAccessPolicy -VaultName ${this.vaultName} -ObjectId ${objectId} -PermissionsToSecrets get,list;`;
    try {
      writeFileSync(path, script);
      console.log(`Uploading ${path} as attachment`);
      console.log(`##vso[task.uploadfile]${path}`);
    } catch (error) {
      console.log(`Could not save content to file. Failed with an error ${error}`);
    }
  }
}

function flattenJson(text: string): string | null {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? JSON.stringify(value) : null;
  } catch {
    return null;
  }
}

async function run(): Promise<void> {
  // The agent runs a task with RunAsPreJob before the job's first step (runprejob.ts) and skips its place; svcconn
  // has no pre-job phase, so the download happens at the step's place and says so.
  if (tl.getBoolInput("RunAsPreJob", false)) tl.warning("svcconn has no pre-job phase: this task (RunAsPreJob: true) downloads the secrets at its place among the steps.");
  const errors = await new KeyVaultTask().run();
  const names = Object.keys(errors);
  if (names.length) tl.setResult(tl.TaskResult.Failed, names.map((name) => `\n${name}: ${JSON.stringify(errors[name])}`).join(""));
  else tl.setResult(tl.TaskResult.Succeeded, "");
}

run().catch((error) => tl.setResult(tl.TaskResult.Failed, error instanceof Error ? error.message : String(error)));
