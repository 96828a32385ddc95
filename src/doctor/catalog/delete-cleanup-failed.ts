import { define, deletingTheApplication, phrase } from "./define.js";

const FAILED_CLEANUP = "(?:(?:couldn't|could not|cannot|can't|failed to|unable to) clean (?:it |them )?up|clean-?up (?:of .{0,60})?failed)";
/** What deleting a connection removes with it (or the connection itself). */
const WHAT_DELETION_REMOVES = "(?:service connection|endpoint|role assignment|service principal|app registration|application|enterprise app|deep=)";

export default define({
  id: "delete-cleanup-failed",
  rootCauseClass: "delete_failed",
  title: "Deleting the connection could not remove its Azure role assignment or service principal",
  spec: ["S16"],
  signals: [
    phrase("failed to remove ", /failed to remove (?:the )?azure permission/, 14),
    phrase("failed to remove ", /failed to remove (?:the )?service principal/, 14),
    phrase("rol", /'ro(?:le|ld)assignmentid'/, 6),
    phrase("delete", /(?:unable|cannot|can't|failed) to delete (?:the |an |a )?(?:existing )?(?:azure ?rm |arm )?service connection/, 8),
    phrase("deep=false", /deep=false/, 4),
    // Deleting the connection's application or service principal in Entra ID (whatever refused it: a right, a lock).
    deletingTheApplication(10),
    phrase(["delet", "remov"], /(?:delet\w*|remov\w*) (?:the |an |a |our |my )?(?:automatic |old |arm |azure ?rm )?service connection.{0,160}(?:still there|left (?:behind|over)|orphan\w*|clean\w* ?up|remain\w*|not (?:deleted|removed))/, 10),
    // The connection went, what it made did not: "… was deleted, but the app registration could not be removed".
    phrase(["deleted", "removed"], /service connection (?:was |is |has been |got )?(?:deleted|removed)\b.{0,160}(?:could not|couldn't|cannot|can't|failed to|unable to|was not|wasn't) (?:be )?(?:deleted|removed|cleaned)/, 10),
    phrase("orphan", /orphan\w* (?:app|application|service principal|role assignment|enterprise app)/, 8),
    // A clean-up that failed, of what a connection's deletion removes (a task's own clean-up of its files is not it).
    phrase("clean", new RegExp(`${FAILED_CLEANUP}[\\s\\S]{0,160}?${WHAT_DELETION_REMOVES}|${WHAT_DELETION_REMOVES}[\\s\\S]{0,160}?${FAILED_CLEANUP}`), 8),
  ],
  cause:
    "Deleting an automatic connection with clean-up (deep=true) also removes its role assignment and its application. That clean-up failed — the assignment or the application was already gone, or your account may not delete them — while the connection itself is still removed from the project. The application and assignment may be left behind.",
  fix: [
    "Delete the connection anyway; if it stays, delete it without clean-up: DELETE https://dev.azure.com/<org>/<project>/_apis/serviceendpoint/endpoints/<endpoint id>?deep=false&api-version=7.1.",
    "Then clean up by hand: az role assignment delete --ids <azureSpnRoleAssignmentId> and az ad app delete --id {clientId} (Azure portal > App registrations).",
  ],
  verify: ["The connection no longer lists under Project settings > Service connections.", "az ad app show --id {clientId} fails with 'does not exist', and no role assignment names its principal."],
  scanFindings: ["orphaned-application"],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#unable-to-delete-a-service-connection"],
});
