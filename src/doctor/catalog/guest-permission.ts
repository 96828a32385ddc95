import { define, phrase } from "./define.js";

export default define({
  id: "guest-permission",
  rootCauseClass: "guest_permission",
  title: "The user has only guest permission in the directory",
  spec: ["S3"],
  signals: [
    phrase("guest permission", /(?:only|has) guest permissions? in the directory/, 14),
    phrase("guest", /guest (?:user|account)s? (?:permissions? )?(?:are|is) limited/, 10),
    phrase("guest", /\bguest\b.{0,80}(?:insufficient privileges|not authorized|authorization_requestdenied|cannot create)/, 8),
    phrase("guest", /(?:insufficient privileges|authorization_requestdenied).{0,120}\bguest\b/, 8),
    phrase("#ext#", /#ext#@/, 3),
    phrase(["guest", "#ext#", "b2b"], /\bguest\b(?! (?:attestation|os|agent|configuration|extension|vm|machine|operating))|#ext#|\bb2b\b/, 10),
    phrase("external", /external (?:user|collaborat)/, 3),
  ],
  cause:
    "Automatic creation of an Azure Resource Manager service connection creates an application and assigns it a role on your behalf (steps 2–3). Your account is a guest in the directory of the subscription's tenant ({tenant}), and guest permissions there are limited, so Microsoft Entra ID refuses to let you create the application.",
  fix: [
    "Ask an administrator of that tenant (Owner or User Access Administrator) to open Microsoft Entra ID > Users > User settings > Manage external collaboration settings and set 'Guest user access' to 'Guest users have the same access as members' (Graph: PATCH https://graph.microsoft.com/v1.0/policies/authorizationPolicy with {\"guestUserRoleId\":\"a0b1b346-4d3e-4e8b-98f8-753987be4970\"}).",
    "Or give your guest account a directory role that may create applications (Microsoft Entra ID > Users > your account > Assigned roles > Application Developer; az rest --method POST --url https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments --body '{\"principalId\":\"<your guest object id>\",\"roleDefinitionId\":\"cf1c38e5-3621-4004-a7cb-879624dced7c\",\"directoryScopeId\":\"/\"}').",
    "Wait 15–20 minutes for the change to apply across the directory.",
    "Or avoid automatic creation: have a member of the tenant create an app registration and role assignment, then create the connection manually from its client id and secret or with workload identity federation.",
  ],
  verify: [
    "az rest --method GET --url https://graph.microsoft.com/v1.0/policies/authorizationPolicy --query guestUserRoleId shows a0b1b346-4d3e-4e8b-98f8-753987be4970 (or your account lists the role).",
    "Create the service connection again; it reaches 'Ready' and Verify succeeds.",
  ],
  distinguish: [
    "Is your account a guest (userType Guest, UPN containing #EXT#) in the subscription's tenant? Then guest-permission; a member account points to app-registration-disallowed.",
  ],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#the-user-has-only-guest-permission-in-the-directory",
    "https://learn.microsoft.com/graph/api/resources/authorizationpolicy",
  ],
});
