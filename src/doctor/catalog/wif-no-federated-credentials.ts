import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "wif-no-federated-credentials",
  rootCauseClass: "wif_issuer_subject_mismatch",
  title: "The identity has no federated identity credentials",
  spec: ["S19"],
  schemes: ["federation"],
  signals: [
    aadsts(70025, 14),
    phrase("federated", /(?:has )?no (?:configured )?federated (?:identity )?credentials?|federated (?:identity )?credentials? (?:is |are |was |were )?(?:empty|missing|deleted|removed|never added)|(?:never added|forgot to add|deleted|removed) the federated (?:identity )?credential/, 10),
    phrase("no configured federated identity credentials", /(?:has )?no configured federated identity credentials/, 12),
    phrase("70021", /aadsts70021: no matching federated identity record found for presented assertion\.(?!.{0,40}assertion subject:?\s*'?sc:)/, 5),
  ],
  cause:
    "The connection uses workload identity federation, but application (or managed identity) {clientId} has no federated identity credential at all, so Microsoft Entra ID cannot accept the token Azure DevOps presents.",
  fix: [
    "Add a federated credential with the issuer and subject the connection shows: az ad app federated-credential create --id {clientId} --parameters '{\"name\":\"azure-devops\",\"issuer\":\"<issuer>\",\"subject\":\"<subject>\",\"audiences\":[\"api://AzureADTokenExchange\"]}'.",
    "Azure portal: App registrations > the app > Certificates & secrets > Federated credentials > Add credential > 'Other issuer' (or for a managed identity: the identity > Federated credentials).",
    "New credentials take a minute or two to apply (AADSTS70021 meanwhile).",
  ],
  verify: ["az ad app federated-credential list --id {clientId} is not empty.", "Verify the connection."],
  scanFindings: ["federated-credential-missing"],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
