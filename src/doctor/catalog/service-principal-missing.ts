import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "service-principal-missing",
  rootCauseClass: "sp_deleted",
  title: "The application has no service principal in the tenant",
  spec: ["S10"],
  signals: [
    phrase("service principal is properly created", /make sure (?:the )?service principal is properly created in the tenant/, 12),
    aadsts(7000229, 14),
    phrase("missing service principal", /missing service principal in the tenant/, 12),
    phrase("principalnotfound", /principalnotfound/, 9),
    phrase("does not exist in the directory", /principal \S+ does not exist in the directory/, 9),
    phrase(["service principal", "app registration", "application"], /(?:service principal|app registration|enterprise application)\b.{0,60}(?:(?<!(?:not|n't|never|be|to) )(?:deleted|removed)\b|not found|no longer exists|(?:does not|doesn't) exist any ?more)/, 7),
    phrase("task", /(?:not|doesn't|does not) (?:appear|show) in (?:the )?(?:pipeline )?task/, 6),
  ],
  cause:
    "The app registration {clientId} exists but its service principal (enterprise application) in tenant {tenant} is gone — deleted, or never created (for example after 'az ad app create' alone). Tokens cannot be issued without it, role assignments cannot name it, and the connection drops out of task pickers.",
  fix: [
    "Create the service principal again: az ad sp create --id {clientId} (Azure portal: Enterprise applications > New application is not needed; App registrations > the app > 'Create service principal' link).",
    "Re-create the role assignments the connection needs (az role assignment create --assignee {clientId} --role Contributor --scope /subscriptions/{subscriptionId}); assignments of a deleted principal do not come back.",
    "For an automatic connection it is simpler to create a new service connection.",
  ],
  verify: ["az ad sp show --id {clientId} returns the service principal.", "Service connection > Edit > Verify succeeds, and the connection appears in task pickers again."],
  scanFindings: ["service-principal-missing"],
  ambiguities: [
    {
      // ARM knew the caller (it signed in): the principal it cannot find is the one a role is assigned to.
      when: /principalnotfound|principal \S+ does not exist in the directory/,
      unless: /aadsts\s?7000229|missing service principal|service principal (?:was |has been )?(?:deleted|removed)/,
      reason:
        "PrincipalNotFound names the principal a role assignment is for, not the caller: it is the connection's service principal only when that is the one being assigned. In a template or script that creates a managed identity or an app and assigns it a role at once, Entra ID has not replicated it yet (or the id given is an application id, not an object id).",
      checks: [
        "Whose id is it? az ad sp show --id <principal id> (or az identity show): the connection's service principal missing means this diagnosis; a principal the template or script just created means replication — set the role assignment's principalType (ServicePrincipal) so ARM does not look it up, or retry.",
      ],
    },
  ],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#failed-to-obtain-the-jwt-by-using-the-service-principal-client-id"],
});
