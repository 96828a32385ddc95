import { define, phrase } from "./define.js";

/**
 * Not the service connection: a tool the script runs was never handed the connection's sign-in (Terraform run
 * from a plain script step, `az` inside a provisioner, a login action missing its inputs). The connection itself
 * signs in fine; the step does not pass it on.
 */
export default define({
  id: "tool-not-signed-in",
  rootCauseClass: "other",
  title: "Not the service connection: the tool the step runs was never given its sign-in",
  spec: ["S17"],
  // With a federation connection the tool was given a token it could not take (terraform-without-oidc).
  schemes: ["secret", "certificate", "managedIdentity"],
  signals: [
    phrase(["az login", "log-in with", "login with", "authorization profile was not found"], /please run ['"]?az login['"]? to (?:setup|set up) account|azure cli authorization profile was not found|then log-?in with [`'"]?az login|run ['"]?az login['"]? (?:first|before)/, 10),
    phrase(["connect-azaccount", "login-azurermaccount", "connect-azureaccount", "add-azurermaccount"], /run (?:connect-azaccount|login-azurermaccount|connect-azureaccount|add-azurermaccount) to login|no (?:current )?(?:azure )?(?:subscription|context) (?:found|set).{0,60}connect-azaccount/, 10),
    phrase(["not all values are present", "not all parameters are provided", "ensure 'client-id'", "creds", "login doesn't read", "ensure 'subscription-id' is supplied"], /not all values are present\. ensure 'client-id' and 'tenant-id' are supplied|not all parameters are provided in 'creds'|@v\d login doesn't read service principal|login doesn't read|ensure 'subscription-id' is supplied or 'allow-no-subscriptions'/, 14),
    phrase(["must be configured", "must be set", "must be specified", "client_id", "arm_"], /a subscription id must be configured when authenticating|(?:client id|client secret|tenant id|subscription id) must be (?:configured|set|specified)|arm_(?:client_id|client_secret|tenant_id|subscription_id) (?:is )?(?:not set|empty|missing)/, 11),
    // An interactive sign-in asked of a pipeline (az login without the connection): nobody is there to answer it.
    phrase(["microsoft.com/devicelogin", "a web browser has been opened"], /use a web browser to open the page https:\/\/microsoft\.com\/devicelogin|a web browser has been opened at https:\/\/login\.microsoftonline\.com/, 12),
    // A container registry asked with no credentials at all: docker (or helm, oras) never logged in to it (az acr
    // login, a Docker registry connection); a refused identity reads "denied" or names it.
    phrase(["authentication required", "aka.ms/acr/authorization"], /unauthorized: authentication required(?:, visit https:\/\/aka\.ms\/acr\/authorization)?/, 12),
    // az whose token cache no longer holds the account it was signed in as: another job on the agent shares
    // ~/.azure and signed out (az account clear), or the script runs az as another user or config directory.
    phrase(["msal token cache", "token from msal cache"], /does not exist in msal token cache|can't find token from msal cache/, 10),
    phrase("was denied. response code: 403", /was denied\. response code: 403/, -10),
    // Docker's push refused (Docker Hub, ACR): no login to that registry, or a repository name it does not hold.
    phrase(["denied: requested access to the resource is denied", "pull access denied", "could not be pulled"], /denied: requested access to the resource is denied|pull access denied for [^,]+, repository does not exist or may require 'docker login'|image ['"][^'"]+['"] could not be pulled: unauthorized/, 10),
    // Azure/webapps-deploy and Azure/functions-action with neither a login step before them nor a publish profile.
    phrase(["valid credentials are not available", "add azure login action"], /valid credentials are not available\. add azure login action before this action/, 14),
    // Az.Accounts when a script's own session holds no context (a job, another runspace, AzureRM beside Az): the
    // connection's sign-in happened in the task's session, not this one.
    phrase("your azure credentials have not been set up or have expired", /your azure credentials have not been set up or have expired, please run connect-azaccount/, 14),
    phrase(["before you can run azure devops commands", "az devops login"], /before you can run azure devops commands, you need to run the login command|az devops login/, 12),
    // Older azurerm providers read az's sign-in only for a user: a service principal must be handed to the provider itself.
    phrase("only supported as a user", /authenticating using the azure cli is only supported as a user/, 12),
    phrase(["local-exec", "error running command"], /local-exec|error running command '(?:az|pwsh|powershell|bash)/, 6),
    // A task that was asked for federation and could not: the task's own lack, not the script's.
    // A sign-in that happened and found no subscription: the identity's access, not a missing sign-in.
    phrase("authorized to access an azure subscription", /credentials you provided are authorized to access an azure subscription/, -10),
    phrase(["oidc", "federat", "use_oidc", "workload identity"], /\boidc\b|federated|use_oidc|workload identity/, -8),
  ],
  cause:
    "The failing tool (Terraform, the Azure CLI, Azure PowerShell or a login action inside a script) looked for a signed-in session or for credential variables and found none: the step that runs it does not pass the service connection on. Tasks that use the connection sign in for their own process only; a plain script step, a Terraform provisioner or another CI's login step has no session unless it is given one. The Azure CLI also loses a session it had when another job on the same agent shares its configuration directory and signs out (the task's az account clear), or the script runs az as another user or with another AZURE_CONFIG_DIR.",
  fix: [
    "Run the tool inside a task that signs in with the connection: AzureCLI@2 (addSpnToEnvironment: true exposes servicePrincipalId, servicePrincipalKey or idToken, and tenantId to the script), AzurePowerShell@5, or a Terraform task with its connection inputs.",
    "For Terraform in a script: set ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID and ARM_CLIENT_SECRET (or ARM_USE_OIDC/ARM_OIDC_TOKEN for workload identity federation) from the task's environment, or use_cli with an AzureCLI@2 step around it.",
    "For a login action (GitHub Actions azure/login): supply client-id, tenant-id and subscription-id (and the secret or federation) from secrets the run can read — forks and Dependabot runs get no secrets.",
    "For az saying the account is not in its MSAL token cache: give each agent on a machine its own user (or set AZURE_CONFIG_DIR per job), and run az in the same step that signed in, as the same user.",
    "For az devops commands: az devops login with a PAT, or set AZURE_DEVOPS_EXT_PAT=$(System.AccessToken) in the step's env.",
  ],
  verify: ["The step prints the signed-in account (az account show / Get-AzContext) before the failing command.", "Re-run the step; the tool gets past its sign-in."],
  distinguish: ["With a workload identity federation connection and a task that should pass it on, a missing token is the task's lack of federation support (task-lacks-wif-support)."],
  ambiguities: [
    {
      when: /unauthorized: authentication required|denied: requested access to the resource is denied|pull access denied|could not be pulled: unauthorized/,
      unless: /no (?:docker|acr) login|without (?:a )?(?:docker|acr) login/,
      reason:
        "A container registry answers the same (unauthorized, or denied to a push) when docker never logged in to it, when the image is tagged for another registry or repository than the one logged in to, when the login it had has lapsed (az acr login's token lasts three hours) and when the credentials it logged in with are wrong or expired (a Docker registry connection's service principal secret).",
      checks: [
        "Is there a docker login, az acr login or Docker@2 login step before, in the same job and within three hours? If not, add one; if so, run az acr login --name <registry> there and read its error: an AADSTS code points at the connection's credential.",
      ],
    },
  ],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/azure-cli-v2", "https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/guides/service_principal_client_secret"],
});
