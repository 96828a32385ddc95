import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "wif-subject-mismatch",
  rootCauseClass: "wif_issuer_subject_mismatch",
  title: "No federated credential matches the token's subject",
  spec: ["S19"],
  schemes: ["federation"],
  signals: [
    aadsts(700213, 14),
    aadsts(7002137, 12),
    aadsts(7002138, 12),
    phrase("presented assertion subject", /presented assertion subject/, 10),
    phrase("sc://", /assertion subject:?\s*'?sc:\/\//, 14),
    phrase("subject", /federated identity credential subject is/, 8),
    phrase("subject", /federat.{0,200}\bsubject\b|\bsubject\b.{0,200}federat/, 5),
    // Renaming the organization, project or connection changes the subject sc://org/project/connection.
    // A rename of what the subject is made of (sc://organization/project/connection), not any rename a task does.
    phrase("renam", /\b(?:project|organi[sz]ation|org|connection|subject)\b.{0,40}\brenam(?:e|ed|es|ing)\b|\brenam(?:e|ed|es|ing)\b.{0,40}\b(?:project|organi[sz]ation|org|connection|subject)\b/, 6),
  ],
  entities: [{ entity: "subject", pattern: /^sc:\/\//i, weight: 3 }],
  cause:
    "The token's subject {subject} matches no federated identity credential of application {clientId}. With the older Azure DevOps issuer the subject is sc://<organization>/<project>/<connection>, so renaming the organization, project or connection changes it; with the Entra issuer it is …/sc/<organization id>/<connection id>. Matching is exact and case-sensitive.",
  fix: [
    "Copy the subject the connection reports (Edit the connection, or authorization.parameters.workloadIdentityFederationSubject over REST).",
    "Update the federated credential's subject to it: az ad app federated-credential update --id {clientId} --federated-credential-id <name> --subject '<subject>' (Azure portal > App registrations > Certificates & secrets > Federated credentials).",
    "If Azure DevOps created the identity, Edit and Save the connection to have it update the credential; or convert it to the Entra issuer, whose subject survives renames.",
  ],
  verify: ["az ad app federated-credential list --id {clientId} --query \"[].subject\" contains the connection's subject.", "Verify the connection and re-run the pipeline."],
  scanFindings: ["federated-credential-mismatch"],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"],
});
