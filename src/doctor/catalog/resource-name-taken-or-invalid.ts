import { define, phrase } from "./define.js";

/**
 * Not the service connection: the name the step gives a new resource is taken (globally unique names: storage
 * accounts, web apps, key vaults, registries) or breaks the resource type's naming rules.
 */
export default define({
  id: "resource-name-taken-or-invalid",
  rootCauseClass: "other",
  title: "Not the service connection: the resource's name is taken or not allowed",
  spec: ["S17"],
  signals: [
    phrase(["alreadytaken", "alreadyexists", "alreadyinuse", "conflictingservername", "already taken", "already in use", "namenotavailable", "given name"], /\b(?:storageaccountalreadytaken|vaultalreadyexists|websitewithgivennamealreadyexists|registrynamealreadyinuse|namenotavailable|conflictingservername|servernamealreadyexists)\b|is already taken|is already in use|with (?:the )?given name .{0,80} already exists/, 14),
    // ARM's codes for a DNS name another resource holds and a name with a reserved word (common deployment errors).
    phrase(["dnsrecordinuse", "reservedresourcename", "trademarked or reserved"], /\b(?:dnsrecordinuse|reservedresourcename)\b|is a trademarked or reserved word/, 14),
    phrase(["invalid", "is not a valid", "must be between", "can only contain", "naming"], /\b(?:accountnameinvalid|invalidresourcename|invalidname|invalidvaultname|invalidsitename)\b|is not a valid (?:storage account |resource |vault |app )?name|must be between \d+ and \d+ characters|can only contain (?:lowercase )?letters|naming (?:rules|restrictions)/, 12),
    phrase("already exists", /(?:storage account|web ?app|website|app service|key ?vault|vault|registry|server|cluster|workspace|resource group) .{0,80}already exists/, 8),
    phrase(["already exists in location", "already exists - to be managed"], /the resource ['"][^'"]+['"] already exists in location|already exists - to be managed via terraform/, 10),
    // Names in Azure DevOps and Entra ID are their own diagnoses.
    phrase(["service connection", "federated", "role assignment", "roleassignmentexists", "roleassignment"], /service connection with name|federatedidentitycredential|federated (?:identity )?credential|role ?assignment(?:exists| already exists)/, -14),
  ],
  cause:
    "The connection signed in and may create the resource; the name asked for is taken — storage accounts, web apps, key vaults (also soft-deleted ones) and container registries have names unique across Azure, not only in your subscription — or the name breaks the resource type's rules (length, allowed characters, lower case).",
  fix: [
    "Choose another name, or make it unique per environment (a suffix from uniqueString(resourceGroup().id) in Bicep or ARM, random_string in Terraform).",
    "Check a name first: az storage account check-name --name <name>; az webapp list-runtimes… / az resource list --name <name>; for key vaults also the soft-deleted ones: az keyvault list-deleted (purge or recover it).",
    "For naming rules: the resource type's rules in Azure's naming restrictions (for example storage accounts: 3–24 lower-case letters and digits).",
  ],
  verify: ["The name check says it is available (nameAvailable: true).", "Re-run the deployment."],
  references: ["https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules", "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-storage-account-name", "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors"],
});
