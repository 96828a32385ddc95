import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "wif-issuer-mismatch",
  rootCauseClass: "wif_issuer_subject_mismatch",
  title: "No federated credential matches the token's issuer",
  spec: ["S19"],
  schemes: ["federation"],
  signals: [
    aadsts(700211, 14),
    phrase("presented assertion issuer", /presented assertion issuer/, 10),
    phrase("vstoken", /assertion issuer:?\s*'?https:\/\/(?:app\.)?vstoken\.(?:visualstudio\.com|dev\.azure\.com)/, 4),
    aadsts(70021, 6),
    phrase("issuer", /federat.{0,200}\bissuer\b|\bissuer\b.{0,200}federat/, 5),
    phrase("vstoken", /vstoken\.(?:dev\.azure\.com|visualstudio\.com)/, 4),
    phrase("70021", /aadsts70021.{0,300}assertion issuer/, 4),
  ],
  entities: [{ entity: "issuer", weight: 2 }],
  cause:
    "The connection presented a token from issuer {issuer}, and the application {clientId} has no federated identity credential with exactly that issuer. Typically the credential still names the old Azure DevOps issuer (https://vstoken.dev.azure.com/<org id>) while the connection now uses the Microsoft Entra issuer (https://login.microsoftonline.com/<tenant>/v2.0), or the reverse.",
  fix: [
    "Read the issuer and subject the connection expects: Project settings > Service connections > {connection} > Edit (or GET …/serviceendpoints/endpoints/<id>: authorization.parameters.workloadIdentityFederationIssuer/Subject).",
    "If Azure DevOps created the identity, Edit and Save the connection: it updates the credential.",
    "Otherwise update the federated credential: az ad app federated-credential update --id {clientId} --federated-credential-id <name> --issuer <issuer the connection shows> (Azure portal > App registrations > Certificates & secrets > Federated credentials).",
  ],
  verify: ["az ad app federated-credential list --id {clientId} shows the issuer and subject the connection reports.", "Verify the connection; re-run the pipeline."],
  scanFindings: ["federated-credential-mismatch", "legacy-issuer"],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
