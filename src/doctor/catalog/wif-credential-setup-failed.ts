import { define, phrase } from "./define.js";

/**
 * Setting federation up failed, before any token: the federated credential could not be added to the application
 * (one with that name, or that issuer and subject, is already there; the application holds the most it may), or the
 * connection was written with federation fields Azure DevOps sets itself. Microsoft Graph answers the first with 409
 * Request_MultipleObjectsWithSameKeyValue; Azure DevOps the second with "Following fields … are not expected".
 */
export default define({
  id: "wif-credential-setup-failed",
  rootCauseClass: "wif_other",
  title: "Setting up federation failed: the federated credential or the connection's federation fields were refused",
  spec: ["S19"],
  schemes: ["federation"],
  signals: [
    phrase("already exists", /federated ?identity ?credential with (?:the )?name ['"]?[\w.-]+['"]? already exists/, 16),
    phrase("issuer and subject", /issuer and subject (?:combination )?already exists|same issuer and subject/, 14),
    // Graph's code for a duplicate key, said while creating a federated credential (azd, Terraform azuread, scripts).
    phrase(["request_multipleobjectswithsamekeyvalue"], /\/federatedidentitycredentials[\s\S]{0,400}request_multipleobjectswithsamekeyvalue|request_multipleobjectswithsamekeyvalue[\s\S]{0,400}federated ?identity ?credential/, 12),
    phrase(["creating", "to create"], /(?:failed (?:creating|to create)|error creating|creating) (?:the )?federated (?:identity )?credential/, 8),
    phrase(["federated identity credentials", "federated credentials"], /(?:maximum|limit|more than \d+) .{0,60}federated (?:identity )?credentials|federated (?:identity )?credentials .{0,60}(?:maximum|limit)/, 10),
    // Azure DevOps refusing federation fields it sets itself (the issuer, subject and audience are the service's).
    phrase("are not expected", /following fields in the service connection are not expected: [^.\n]{0,120}workloadidentityfederation/, 16),
  ],
  cause:
    "Federation could not be set up. Adding the federated credential to application {clientId} was refused: Microsoft Entra ID keeps one credential per name and per issuer-and-subject pair (a second one with either is a conflict) and at most 20 per application. Or the connection was created or updated with federation fields Azure DevOps fills in itself (workloadIdentityFederationIssuer, …Subject, …Audience), which the service connection API rejects.",
  fix: [
    "For a conflict: list the application's federated credentials (az ad app federated-credential list --id {clientId}); reuse the one with that issuer and subject, or delete it (az ad app federated-credential delete --id {clientId} --federated-credential-id <name>) before creating yours, or give yours another name.",
    "For the limit: delete federated credentials nothing uses any more (old branches, environments, renamed connections), or use another application or a user-assigned managed identity.",
    "For the connection's fields: send only authorization.parameters.tenantid and serviceprincipalid with scheme WorkloadIdentityFederation (and the subscription in data); read the issuer and subject Azure DevOps returns, and put those in the federated credential.",
  ],
  verify: [
    "az ad app federated-credential list --id {clientId} shows one credential with the connection's issuer and subject.",
    "The connection is created (or updated) and Verify succeeds.",
  ],
  distinguish: [
    "A token that finds no matching credential at run time (AADSTS70021, 700211, 700213) is a mismatch (wif-issuer-mismatch, wif-subject-mismatch), not a setup failure.",
  ],
  references: [
    "https://learn.microsoft.com/graph/api/application-post-federatedidentitycredentials",
    "https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations",
    "https://learn.microsoft.com/azure/devops/pipelines/release/configure-workload-identity",
  ],
});
