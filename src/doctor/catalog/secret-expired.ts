import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "secret-expired",
  rootCauseClass: "secret_expired_or_invalid",
  title: "The connection's client secret has expired",
  spec: ["S9"],
  schemes: ["secret"],
  signals: [
    // The Azure tasks' wording for a service principal whose token request failed: a secret that expired or is wrong.
    phrase("service principal used is valid", /verify if the service principal used is valid and not expired/, 5),
    aadsts(7000222, 14),
    phrase("expired", /client secret keys? (?:for app ['"][^'"]*['"] )?(?:are|is|have) (?:been )?expired/, 12),
    phrase("secret expired", /secret expired,? update service connection/, 12),
    phrase("expired", /(?:service principal|client secret|spn|secret)(?:'s)? (?:has |have )?expired/, 7),
    phrase("expiredserviceprincipal", /expiredserviceprincipal/, 10),
    // A person's words: the secret, and that it expired, a little apart ("the secret of the service principal … it expired").
    phrase("expired", /\bsecret\b[^.?!]{0,80}[.?!]?\s?(?:it|which|that)? ?(?:has )?expired\b/, 5),
  ],
  cause:
    "The password credential of application {clientId} that the connection uses is past its end date. Secrets made by automatic creation last three months.",
  fix: [
    "Project settings > Service connections > {connection} > Rotate secret: Azure DevOps adds a new secret valid three months, stores it in the connection and removes the old one (you need rights to change the app registration).",
    "For a manual connection: az ad app credential reset --id {clientId} --append --years 1, then Edit the connection and paste the new secret value.",
    "To stop secrets expiring: convert the connection to workload identity federation (Edit > Convert).",
  ],
  verify: [
    "az ad app credential list --id {clientId} --query \"[].endDateTime\" shows a future date.",
    "Service connection > Edit > Verify succeeds and the pipeline task authenticates.",
  ],
  scanFindings: ["secret-expired", "secret-expiring"],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#service-principal-or-secret-expired",
    "https://aka.ms/azdo-rm-workload-identity-conversion",
  ],
});
