import { define, phrase } from "./define.js";

/** Terraform's words for a sign-in that fell back to the Azure CLI, which nobody signed in on the agent. */
const CLI_SIGN_IN_MISSING = /please run ['"]?az login['"]? to (?:setup|set up) account|azure cli authorization profile was not found/;

/**
 * A workload identity federation connection handed to Terraform that cannot take it: the task passes the token
 * (TerraformTaskV4 sets ARM_USE_OIDC and ARM_OIDC_TOKEN, and use_oidc/oidc_token for the backend), but a Terraform
 * older than 1.2 rejects the backend's OIDC arguments and an azurerm provider older than 3.7 ignores them and falls
 * back to an Azure CLI sign-in that is not there. The connection is fine; its scheme is what the tool lacks.
 */
export default define({
  id: "terraform-without-oidc",
  rootCauseClass: "wif_other",
  title: "Terraform or its azurerm provider does not take the federated token (too old, or not set to OIDC)",
  spec: ["S17", "S19"],
  schemes: ["federation"],
  signals: [
    // Terraform before 1.2: the azurerm backend has no OIDC arguments (`terraform init -backend-config=use_oidc=true`).
    phrase("backend configuration argument", /the backend configuration argument "(?:use_oidc|oidc_token|oidc_token_file_path|oidc_request_url|oidc_request_token|ado_pipeline_service_connection_id)" given on the command line is not expected/, 16),
    // azurerm before 3.7: `use_oidc = true` in the provider block.
    phrase("an argument named", /an argument named "(?:use_oidc|oidc_token|oidc_token_file_path|oidc_request_url|oidc_request_token|ado_pipeline_service_connection_id)" is not expected here/, 16),
    // The Azure CLI fallback said so, beside words that show the connection uses federation.
    phrase(["oidc", "federat", "workload identity"], new RegExp(`(?:\\boidc\\b|federat|workload identity)[\\s\\S]{0,600}(?:${CLI_SIGN_IN_MISSING.source})|(?:${CLI_SIGN_IN_MISSING.source})[\\s\\S]{0,600}(?:\\boidc\\b|federat|workload identity)`), 14),
    // Alone it is a tool never signed in (tool-not-signed-in) — unless the connection is known to use federation.
    phrase(["az login", "authorization profile"], CLI_SIGN_IN_MISSING, 9),
  ],
  cause:
    "The connection uses workload identity federation, and the task hands Terraform its token (TerraformTaskV4 sets ARM_USE_OIDC and ARM_OIDC_TOKEN for the provider, use_oidc and oidc_token for the azurerm backend). Terraform older than 1.2 rejects the backend's OIDC arguments, and an azurerm provider older than 3.7 — or a provider block set to use_cli or another method — ignores them and falls back to an Azure CLI sign-in nobody made on the agent.",
  fix: [
    "Use Terraform 1.2 or later (TerraformInstaller@1 terraformVersion: latest or a current version) and azurerm 3.7 or later in required_providers.",
    "Let the provider take the token: no use_cli = true or client_secret in the provider block; use_oidc = true (or ARM_USE_OIDC) is what TerraformTaskV4 sets.",
    "In a script step instead of the task: AzureCLI@2 with addSpnToEnvironment: true, then export ARM_CLIENT_ID=$servicePrincipalId ARM_TENANT_ID=$tenantId ARM_OIDC_TOKEN=$idToken ARM_USE_OIDC=true before terraform (the token lasts about an hour).",
  ],
  verify: ["terraform init and terraform plan pass authentication in the pipeline.", "terraform version in the log shows 1.2 or later and the azurerm provider 3.7 or later."],
  distinguish: [
    "Without a federation connection, 'Please run az login' is a tool never handed a sign-in (tool-not-signed-in).",
    "A Terraform task version that does not pass a federated token at all is task-lacks-wif-support.",
  ],
  references: [
    "https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/guides/service_principal_oidc",
    "https://developer.hashicorp.com/terraform/language/backend/azurerm",
    "https://github.com/microsoft/azure-pipelines-terraform/tree/main/Tasks/TerraformTask/TerraformTaskV4",
  ],
});
