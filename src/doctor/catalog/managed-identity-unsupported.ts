import { define, phrase } from "./define.js";

export default define({
  id: "managed-identity-unsupported",
  rootCauseClass: "managed_identity_unsupported",
  title: "A managed-identity connection used where that identity is not available",
  spec: ["S12"],
  schemes: ["managedIdentity"],
  signals: [
    phrase("microsoft-hosted", /microsoft-hosted agents? (?:don't|do not|does not) support managed identit/, 14),
    phrase(["self-hosted", "azure vm", "azure virtual machine"], /managed (?:service )?identit\w*.{0,80}\b(?:only|just) (?:be used |works? |runs? )?(?:on|with|from|in) (?:a |an )?(?:self-hosted|azure (?:vms?|virtual machines?))/, 8),
    // Task versions that take a service principal only: a managed identity connection is refused by the task.
    phrase(["only support service principal", "only supports service principal", "only spn credential"], /only supports? service principal authori[sz]ation|only spn credential (?:and workloadidentityfederation )?auth schemes? (?:is|are) supported/, 11),
    phrase(["managed service principal", "managed identity"], /could not (?:fetch|retrieve|get) (?:an )?access token for (?:the )?managed (?:service principal|identity)/, 12),
    // The Azure CLI's and the tasks' own words when the agent's machine has no managed identity to give.
    // The tasks' advice that goes with it (CouldNotFetchAccessTokenforMSIDueToMSINotConfiguredProperlyStatusCode).
    phrase(["configure managed service identity", "azure-msi-docs"], /please configure managed service identity \(msi\) for virtual machine|aka\.ms\/azure-msi-docs/, 10),
    phrase(["failed to connect to msi", "msi is configured correctly", "using managed service identity"], /failed to connect to msi|make sure msi is configured correctly|azure login failed using managed service identity/, 12),
    phrase(["no user assigned", "delegated managed identity"], /no user assigned or delegated managed identity found/, 10),
    phrase("managedidentitycredential", /managedidentitycredential (?:authentication )?(?:failed|unavailable)/, 10),
    phrase("managed identity", /(?:no )?managed identity (?:endpoint )?(?:not found|is not available|was not found|unavailable)/, 9),
    // A tool that cannot sign in with one (jason-johnson's terraform-cli before Terraform 0.12, and the like).
    phrase("is not supported", /managed (?:service )?identity (?:\(msi\) )?(?:authentication )?is not supported/, 10),
    // @azure/identity's ManagedIdentityCredential when nothing answers on the agent (no identity there to ask).
    phrase("managed identity endpoint", /request to the managed identity endpoint timed out|managed identity endpoint (?:is )?(?:not reachable|unreachable|unavailable)/, 10),
    phrase("identity not found", /identity not found/, 5),
    // Go SDKs' words (the azurerm provider, kubelogin, adal) for asking the metadata endpoint.
    phrase(["msi token", "msi endpoint"], /(?:retrieving|requesting|obtaining|get(?:ting)?) (?:an? )?(?:msi )?token from (?:the )?msi endpoint|retrieving msi token/, 8),
    phrase("169.254.169.254", /169\.254\.169\.254/, 6),
    // Nothing listens at the metadata address: the agent's machine has no identity service to ask.
    phrase(["econnrefused", "etimedout", "ehostunreach", "connection refused", "no route to host", "i/o timeout"], /(?:econnrefused|etimedout|ehostunreach|connection refused|no route to host)[^\n]{0,40}169\.254\.169\.254|169\.254\.169\.254[^\n]{0,40}(?:econnrefused|etimedout|ehostunreach|connection refused|no route to host|i\/o timeout)/, 8),
    phrase("imds", /\bimds\b/, 4),
    phrase("managedserviceidentity", /managedserviceidentity/, 4),
  ],
  cause:
    "A connection with the Managed identity scheme gets its token from the instance metadata service of the machine the agent runs on. Microsoft-hosted agents have no identity of yours, so the request fails; it only works on a self-hosted agent on an Azure VM that has that system- or user-assigned identity.",
  fix: [
    "Run the job on a self-hosted agent installed on an Azure VM with the identity (pool: { name: <your self-hosted pool> }).",
    "Assign the identity to that VM: az vm identity assign -g <rg> -n <vm> (system-assigned) or --identities <user-assigned identity resource id>.",
    "Give the identity a role on the scope it deploys to (az role assignment create --assignee <principal id> --role Contributor --scope /subscriptions/{subscriptionId}).",
    "Or on Microsoft-hosted agents use an app registration or a managed identity with workload identity federation instead.",
  ],
  verify: ["On the agent VM: curl -H Metadata:true 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/' returns a token.", "Run the pipeline on that pool."],
  scanFindings: ["managed-identity-on-hosted"],
  distinguish: ["'Identity not found' from a task using a workload identity federation connection means the task lacks WIF support (task-lacks-wif-support)."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#what-authentication-mechanisms-are-supported-how-do-managed-identities-work"],
});
