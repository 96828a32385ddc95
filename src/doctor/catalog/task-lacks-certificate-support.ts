import { aadsts, define, phrase } from "./define.js";

/**
 * The connection authenticates with a certificate, but the task reads only a client secret: it sends an empty or
 * absent secret, and Entra answers as if the secret were wrong. Class `secret_expired_or_invalid`: what Entra
 * refuses is the secret the task presents (the task version, read from the log's header, decides it).
 */
export default define({
  id: "task-lacks-certificate-support",
  rootCauseClass: "secret_expired_or_invalid",
  title: "The task does not support certificate-based service connections",
  spec: ["S17"],
  schemes: ["certificate"],
  taskLacks: "certificate",
  signals: [
    aadsts(7000216, 7),
    // AzurePowerShell@5 on a Linux or macOS agent refuses a certificate connection itself.
    // App Service's certificates for a site's domain (managed, by tier) are no sign-in of the connection's.
    phrase(["managed certificate", "free and shared tier", "app service certificate"], /managed certificate|free and shared tier|app service certificate/, -12),
    phrase(["only spnkey auth type"], /only spnkey auth type is supported/, 16),
    phrase(["certificate"], /(?:service principal )?certificate (?:based )?(?:authentication|auth|connections?|scheme)? ?(?:is |are )?not (?:yet )?supported|does not support (?:service principal )?certificates?|spncertificate .{0,40}(?:not supported|unsupported)/, 14),
    phrase(["secret must be a non empty string", "client_secret", "client secret"], /secret must be a non empty string|(?:client_secret|client secret) (?:is )?(?:empty|missing|null)|a client secret (?:or client certificate )?must be (?:configured|specified)/, 5),
  ],
  cause:
    "The connection uses a certificate (Service principal (manual) with a certificate), but the task or its version reads only the connection's client secret (serviceprincipalkey). It sends an empty secret or none, so Microsoft Entra ID answers with an invalid-client error (AADSTS7000215, AADSTS7000216) although the certificate itself is valid. The Terraform extensions' tasks (TerraformTaskV1–V4, TerraformTask@5, TerraformCLI) are such tasks.",
  fix: [
    "Use a task that supports certificates for this step (built-in Azure tasks such as AzureCLI@2 do, and AzurePowerShell@5 on a Windows agent), or hand the tool the certificate yourself: for Terraform, a secure file with the PFX and ARM_CLIENT_CERTIFICATE_PATH, ARM_CLIENT_CERTIFICATE_PASSWORD, ARM_CLIENT_ID, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID in a script step.",
    "Or convert the connection to workload identity federation (Service connections > the connection > Convert), which TerraformTaskV4@4 and later support; or give this task a connection with a client secret.",
  ],
  verify: ["The task's log shows it signing in (no AADSTS7000215/7000216).", "Re-run the pipeline."],
  distinguish: ["With a client-secret connection, the same AADSTS7000215 means the secret is wrong (secret-invalid)."],
  references: ["https://github.com/microsoft/azure-pipelines-terraform/blob/main/Tasks/TerraformTask/TerraformTaskV4/src/azure-terraform-command-handler.ts"],
});
