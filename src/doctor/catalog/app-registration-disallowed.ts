import { define, deletingTheApplication, phrase } from "./define.js";

export default define({
  id: "app-registration-disallowed",
  rootCauseClass: "cannot_register_apps",
  title: "The user isn't authorized to add applications in the directory",
  spec: ["S4"],
  signals: [
    // A pipeline's own Terraform or script creating an application: the same directory setting (or a missing Graph
    // permission of its service principal) refuses it.
    phrase(["applicationsclient", "azuread_application", "could not create application", "az ad app create"], /applicationsclient(?:#create|\.baseclient\.post)|resource "azuread_application"|azuread_application\.\w+: graphrbac|could not create application|az ad app create/, 8),
    // Refused with a 403 (Graph's, not ARM's): the directory will not let this caller create an application.
    phrase("applicationsclient", /applicationsclient(?:#create|\.baseclient\.post)[\s\S]{0,200}(?:statuscode=403|status=403|unexpected status 403)/, 8),
    phrase("authorized to add applications", /(?:isn't|is not|not) authorized to add applications/, 14),
    phrase("users can register applications", /users can register applications/, 10),
    phrase("create an app", /failed to create an app(?:lication)? in (?:microsoft entra id|azure active directory|azure ad|aad)/, 10),
    phrase(" to create ", /permissions? to create (?:a )?(?:microsoft entra|azure ad|azure active directory)? ?application/, 10),
    phrase("insufficient privileges", /insufficient privileges to complete the operation/, 5),
    phrase("authorization_requestdenied", /authorization_requestdenied/, 4),
    phrase("allowedtocreateapps", /allowedtocreateapps/, 8),
    // The same step-2 wording names the real cause when the user is a guest, or when an existing app is changed.
    phrase("guest permission", /only guest permission in the directory/, -12),
    phrase(["guest", "#ext#"], /\bguest\b|#ext#/, -12),
    phrase(["register", "registration", "not allowed", "n't allowed", "not permitted", "can create", "may create"], /users? can(?:not|'t)? register applications|app(?:lication)? registrations? (?:is |are )?(?:disabled|restricted|blocked|not allowed|turned off)|only (?:admins?|administrators|application developers|global admins?) (?:may|can) (?:create|register)|(?:not|n't) (?:allowed|permitted) to (?:create|register) (?:app|application)/, 10),
    phrase("failed to update the application", /failed to update the application/, -10),
    // Deleting the connection's application is a clean-up (delete-cleanup-failed), whatever refused it.
    deletingTheApplication(-10),
  ],
  cause:
    "Automatic creation registers an application in Microsoft Entra ID on your behalf (step 2). The directory's 'Users can register applications' setting is off and you hold no role that allows it (such as Application Developer), so Microsoft Graph answers 'Insufficient privileges to complete the operation'.",
  fix: [
    "Ask a directory administrator to turn the setting on: Microsoft Entra ID > Users > User settings > App registrations > 'Users can register applications' = Yes (Graph: PATCH https://graph.microsoft.com/v1.0/policies/authorizationPolicy with {\"defaultUserRolePermissions\":{\"allowedToCreateApps\":true}}).",
    "Or have them assign you the Application Developer role (template id cf1c38e5-3621-4004-a7cb-879624dced7c) in Microsoft Entra ID > Roles and administrators.",
    "Or create the connection manually: an administrator creates the app registration, service principal and role assignment (az ad sp create-for-rbac --name <name> --role Contributor --scopes /subscriptions/{subscriptionId}) and you enter its client id, tenant id and secret under Service principal (manual), or use workload identity federation (manual).",
  ],
  verify: [
    "az rest --method GET --url https://graph.microsoft.com/v1.0/policies/authorizationPolicy --query defaultUserRolePermissions.allowedToCreateApps returns true (changes take 15–20 minutes to apply).",
    "Create the service connection again and check that it becomes Ready.",
  ],
  distinguish: [
    "A guest account (UPN with #EXT#) getting 'Insufficient privileges' points to guest-permission instead.",
  ],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#the-user-isnt-authorized-to-add-applications-in-the-directory",
    "https://learn.microsoft.com/entra/identity/role-based-access-control/delegate-app-roles",
  ],
});
