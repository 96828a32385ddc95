import { define, phrase } from "./define.js";

export default define({
  id: "application-change-denied",
  rootCauseClass: "cannot_register_apps",
  title: "You may not change the connection's application in Microsoft Entra ID",
  spec: ["S9"],
  signals: [
    phrase("failed to update the application", /failed to update the application .{0,80}(?:of the service connection|in microsoft entra id|in azure active directory)/, 14),
    phrase("may change the application", /ensure that you may change the application/, 10),
    phrase("rotat", /rotat(?:e|ing) (?:the )?secret.{0,120}(?:insufficient privileges|authorization_requestdenied|not (?:allowed|authorized))/, 12),
    phrase("addpassword", /addpassword.{0,120}(?:insufficient privileges|authorization_requestdenied|403)/, 14),
    phrase(["new-azadappcredential", "credential reset", "addkey", "federatedidentitycredentials"], /(?:new-azadappcredential|credential reset|addkey|federatedidentitycredentials).{0,160}(?:insufficient privileges|authorization_requestdenied|403|owner)/, 10),
    phrase(["rotat", "renew", "reset", "convert"], /(?:rotat\w*|renew\w*|reset\w*|convert\w*) (?:the |its |a )?(?:client )?(?:secret|credential|connection|to workload)/, 4),
    phrase("owner", /(?:not|n't) (?:an? |the )?owner of (?:the |its |this )?app/, 8),
    phrase(["ownership"], /ownership of (?:the )?application/, 8),
    phrase("owner", /(?:not an? |must be an? )owner of the application/, 6),
  ],
  cause:
    "Rotating the secret of an automatic connection, or converting it to workload identity federation, changes its application {clientId} in Microsoft Entra ID on your behalf: a new password or federated credential. Only the application's owners and holders of Application Administrator, Cloud Application Administrator or Global Administrator may do that, and you are none of them.",
  fix: [
    "Ask an owner of the application, or an Application Administrator, to rotate the secret (Project settings > Service connections > the connection > Edit > Rotate secret), or to add you as an owner: Microsoft Entra ID > App registrations > the app > Owners > Add (Graph: POST https://graph.microsoft.com/v1.0/applications/<object id>/owners/$ref).",
    "Or have them add the password themselves (az ad app credential reset --id {clientId} --years 0.25 --append) and update the connection with the new secret.",
  ],
  verify: ["Run Rotate secret again; it succeeds and Verify on the connection reports success."],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#service-principal-or-secret-expired",
    "https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference#application-administrator",
  ],
});
