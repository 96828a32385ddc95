import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "app-disabled",
  rootCauseClass: "app_disabled",
  title: "The application (its service principal) is disabled",
  spec: ["S10"],
  signals: [
    aadsts(7000112, 14),
    phrase("is disabled", /application ['"][^'"]*['"]\s*(?:\([^)]{0,200}\))?\s*is disabled/, 12),
    phrase("application is disabled", /application is disabled/, 10),
    // Sign-in pages and clients when Microsoft or an administrator switched the app off.
    phrase(["has been disabled", "was disabled"], /(?:application|app) (?:['"][^'"]*['"] )?(?:\([^)]{0,200}\) )?(?:has been|was) disabled(?: by (?:microsoft|(?:an |your )?administrator))?/, 10),
    phrase("70001", /aadsts70001\b/, 10),
    phrase("enabled for users to sign", /enabled for users to sign-?in/, 6),
    phrase("accountenabled", /accountenabled"?\s*[:=]\s*false/, 6),
  ],
  cause:
    "The enterprise application (service principal) of {clientId} ({applicationName}) is disabled ('Enabled for users to sign-in?' = No, accountEnabled = false), so Microsoft Entra ID issues it no tokens.",
  fix: [
    "Azure portal > Enterprise applications > the application > Properties > 'Enabled for users to sign-in?' = Yes > Save.",
    "CLI: az ad sp update --id {clientId} --set accountEnabled=true (Graph: PATCH /v1.0/servicePrincipals/{objectId} {\"accountEnabled\":true}).",
  ],
  verify: ["az ad sp show --id {clientId} --query accountEnabled returns true.", "Service connection > Edit > Verify succeeds."],
  scanFindings: ["service-principal-disabled"],
  references: ["https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts7000112-application-is-disabled"],
});
