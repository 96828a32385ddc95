import { define, phrase } from "./define.js";

/**
 * A script step signs in on its own with the pipeline's federated token — the Azure SDKs' AzurePipelinesCredential
 * (through the job's OIDC endpoint), or az login / Connect-AzAccount with AzureCLI@2's idToken — and is not given
 * what it needs: the job's access token, the service connection's id, the token itself, or the system variables only
 * an agent job defines. The connection may be fine; the script's wiring is not.
 */
export default define({
  id: "pipelines-credential-misconfigured",
  rootCauseClass: "wif_other",
  title: "A script's own federated sign-in is missing the job's token, the federated token or the connection's id",
  spec: ["S19"],
  schemes: ["federation"],
  signals: [
    phrase("azurepipelinescredential", /azurepipelinescredential/, 10),
    phrase(["not found in response", "field not detected", "received null token from oidc"], /oidc ?token (?:not found in response|field not detected in the response)|received null token from oidc request/, 12),
    phrase("no service connection found with identifier", /no service connection found with identifier/, 14),
    phrase(["system_oidcrequesturi", "system_accesstoken"], /missing system variable\(s\).{0,80}system_oidcrequesturi|system_accesstoken.{0,60}(?:is )?(?:not set|missing|empty|required)/, 10),
    // az login --federated-token $idToken, or Connect-AzAccount -FederatedToken, with the variable empty: AzureCLI@2
    // sets idToken only with addSpnToEnvironment, and only inside its own step.
    phrase(["--federated-token", "federatedtoken"], /argument --federated-token: expected one argument|cannot validate argument on parameter 'federatedtoken'/, 14),
    phrase("/oidctoken", /\/oidctoken\?api-version=[\d.]+(?:-preview[\d.]*)?&serviceconnectionid=/, 8),
  ],
  cause:
    "The script authenticates with AzurePipelinesCredential, which asks the job's OIDC endpoint (SYSTEM_OIDCREQUESTURI) for a federated token for one service connection, using the job's access token. It fails when the step does not map System.AccessToken into its environment, passes the connection's name or a wrong id instead of its id, signs in with az login --federated-token or Connect-AzAccount -FederatedToken where the token variable is empty (AzureCLI@2 sets idToken only with addSpnToEnvironment: true, and only in its own step), runs where no agent job defines SYSTEM_OIDCREQUESTURI (a local run, a container without the variables), or the pipeline is not permitted to use the connection (the endpoint then answers 401 or no token).",
  fix: [
    "For az login --federated-token or Connect-AzAccount -FederatedToken in a script: run it inside the AzureCLI@2 step with addSpnToEnvironment: true and read $idToken (%idToken% on Windows) there, or let the task sign in and drop the script's own login.",
    "Map the token into the step: env: { SYSTEM_ACCESSTOKEN: $(System.AccessToken) }, and pass it to the credential.",
    "Pass the service connection's id (Project settings > Service connections > the connection: the resourceId in the URL), with its client id and tenant id; inside AzureCLI@2 these are AZURESUBSCRIPTION_SERVICE_CONNECTION_ID, AZURESUBSCRIPTION_CLIENT_ID and AZURESUBSCRIPTION_TENANT_ID.",
    "Run the script in an agent job of the pipeline (not locally), and permit the pipeline to use the connection (Security > Pipeline permissions).",
  ],
  verify: ["The step prints the token's acquisition (or a first Azure call) without the credential's error.", "Re-run the pipeline."],
  distinguish: ["AADSTS700213/70021 after the token was obtained is the federated credential's issuer or subject (wif-issuer-mismatch, wif-subject-mismatch)."],
  references: ["https://aka.ms/azsdk/net/identity/azurepipelinescredential/troubleshoot", "https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
