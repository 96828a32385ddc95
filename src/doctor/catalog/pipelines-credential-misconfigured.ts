import { define, phrase } from "./define.js";

/**
 * A script step signs in with the Azure SDKs' AzurePipelinesCredential (workload identity federation through the
 * job's OIDC endpoint) and is not given what it needs: the job's access token, the service connection's id, or the
 * system variables only an agent job defines. The connection may be fine; the script's wiring is not.
 */
export default define({
  id: "pipelines-credential-misconfigured",
  rootCauseClass: "wif_other",
  title: "AzurePipelinesCredential in a script is missing the job's token or the connection's id",
  spec: ["S19"],
  schemes: ["federation"],
  signals: [
    phrase("azurepipelinescredential", /azurepipelinescredential/, 10),
    phrase(["not found in response", "field not detected", "received null token from oidc"], /oidc ?token (?:not found in response|field not detected in the response)|received null token from oidc request/, 12),
    phrase("no service connection found with identifier", /no service connection found with identifier/, 14),
    phrase(["system_oidcrequesturi", "system_accesstoken"], /missing system variable\(s\).{0,80}system_oidcrequesturi|system_accesstoken.{0,60}(?:is )?(?:not set|missing|empty|required)/, 10),
    phrase("/oidctoken", /\/oidctoken\?api-version=[\d.]+(?:-preview[\d.]*)?&serviceconnectionid=/, 8),
  ],
  cause:
    "The script authenticates with AzurePipelinesCredential, which asks the job's OIDC endpoint (SYSTEM_OIDCREQUESTURI) for a federated token for one service connection, using the job's access token. It fails when the step does not map System.AccessToken into its environment, passes the connection's name or a wrong id instead of its id, runs where no agent job defines SYSTEM_OIDCREQUESTURI (a local run, a container without the variables), or the pipeline is not permitted to use the connection (the endpoint then answers 401 or no token).",
  fix: [
    "Map the token into the step: env: { SYSTEM_ACCESSTOKEN: $(System.AccessToken) }, and pass it to the credential.",
    "Pass the service connection's id (Project settings > Service connections > the connection: the resourceId in the URL), with its client id and tenant id; inside AzureCLI@2 these are AZURESUBSCRIPTION_SERVICE_CONNECTION_ID, AZURESUBSCRIPTION_CLIENT_ID and AZURESUBSCRIPTION_TENANT_ID.",
    "Run the script in an agent job of the pipeline (not locally), and permit the pipeline to use the connection (Security > Pipeline permissions).",
  ],
  verify: ["The step prints the token's acquisition (or a first Azure call) without the credential's error.", "Re-run the pipeline."],
  distinguish: ["AADSTS700213/70021 after the token was obtained is the federated credential's issuer or subject (wif-issuer-mismatch, wif-subject-mismatch)."],
  references: ["https://aka.ms/azsdk/net/identity/azurepipelinescredential/troubleshoot", "https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
