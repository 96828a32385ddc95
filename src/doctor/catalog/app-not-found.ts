import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "app-not-found",
  rootCauseClass: "sp_deleted",
  title: "The application behind the connection was not found in the directory",
  spec: ["S10"],
  signals: [
    aadsts(700016, 14),
    phrase("application with identifier", /application with identifier .{0,60} (?:was not|wasn't|was n't) found/, 12),
    phrase("not found in the directory", /not found in the directory/, 6),
    phrase("unauthorized_client", /unauthorized_client/, 2),
  ],
  cause:
    "No application with client id {clientId} exists in the tenant {tenant}: the app registration was deleted, the connection names the wrong client id or tenant, or the app is single-tenant and used from another tenant.",
  fix: [
    "Check the app still exists: az ad app show --id {clientId} (or Azure portal > App registrations > All applications; recently deleted apps can be restored within 30 days under Deleted applications).",
    "If it was deleted less than 30 days ago, restore it with its credentials and service principal: App registrations > Deleted applications > Restore app registration, or az rest --method POST --url https://graph.microsoft.com/v1.0/directory/deletedItems/<application object id>/restore (list them: az rest --url https://graph.microsoft.com/v1.0/directory/deletedItems/microsoft.graph.application).",
    "If it is gone for good: for an automatic connection create a new service connection; for a manual one create a new app registration and role assignment and Edit the connection with its client id and credential.",
    "If the tenant is wrong: Edit the connection and set the tenant id of the directory the app is registered in.",
  ],
  verify: ["az ad sp show --id {clientId} succeeds in tenant {tenant}.", "Service connection > Edit > Verify succeeds."],
  scanFindings: ["application-missing"],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#failed-to-obtain-the-jwt-by-using-the-service-principal-client-id"],
});
