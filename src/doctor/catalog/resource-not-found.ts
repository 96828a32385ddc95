import { define, phrase, webPackageDeployAnswered } from "./define.js";

/**
 * Not the service connection: the step names a resource that does not exist where it looks (a typo, another
 * resource group or subscription, a resource not created yet, a pipeline variable that stayed empty).
 */
export default define({
  id: "resource-not-found",
  rootCauseClass: "other",
  title: "Not the service connection: the resource the step names does not exist there",
  spec: ["S17"],
  signals: [
    phrase(["resourcenotfound", "resourcegroupnotfound", "parentresourcenotfound", "storageaccountnotfound", "vaultnotfound", "containernotfound", "blobnotfound", "deploymentnotfound", "error_site_does_not_exist"], /\b(?:resourcenotfound|resourcegroupnotfound|parentresourcenotfound|storageaccountnotfound|vaultnotfound|containernotfound|blobnotfound|deploymentnotfound|error_site_does_not_exist)\b/, 14),
    // A platform image the VM names, or a linked template's URL ARM could not download (common deployment errors).
    phrase(["imagenotfound", "invalidcontentlink", "unable to download deployment content"], /\b(?:imagenotfound|invalidcontentlink)\b|unable to download deployment content/, 12),
    phrase("under resource group", /the resource ['"][^'"]*['"] under resource group ['"][^'"]*['"] was not found/, 10),
    phrase(["not found", "not be found"], /resource group ['"][^'"]*['"] could not be found|(?:web ?app|app service|function app|storage account|key ?vault|vault|cluster|registry|workspace|container|resource) (?:named |with name )?'?[\w.-]*'? (?:was |could )?not (?:be )?found/, 8),
    // Kudu finds no app or slot to deploy to.
    webPackageDeployAnswered("not found \\(code: 404\\)", 10),
    // .NET's and PowerShell's web clients on a URL with nothing behind it.
    phrase("(404) not found", /the remote server returned an error: \(404\) not found/, 8),
    phrase("could not find ", /could not find (?:app service|web ?app|function app|resource group|storage account|key ?vault|container registry) (?:with name|named) /, 9),
    phrase(["does not exist", "doesn't exist"], /(?:resource|resource group|storage account|container|vault|web ?app|app service|slot|registry|cluster|file|path|directory|template) .{0,60}(?:does not|doesn't) exist/, 7),
    phrase(["is not correct", "missing region", "missing rg", "missing workspace", "exceeds maximum length"], /for httprequest is not correct|\[missing (?:region|rg|workspace)\]|resource id exceeds maximum length/, 10),
    phrase(["no such file", "cannot find path", "file not found", "template file", "no files matched", "could not find", "no package found"], /no such file or directory|cannot find path '|could not find (?:a part of )?the (?:file|path)|template file .{0,80}(?:not found|does not exist)|unable to find template file|could not find any file matching|no files matched the search pattern|no package found with specified pattern/, 8),
    // A lookup by name that searched the subscription sees only what the identity may read (rbac-authorization-failed).
    phrase(["secretnotfound", "certificatenotfound", "keynotfound", "was not found in this key vault", "secret '", "certificate '", "key '", "not found:"], /\b(?:secretnotfound|certificatenotfound|keynotfound)\b|was not found in this key vault|(?:secret|certificate|key) ['"][^'"]+['"] (?:was )?not found|\b(?:secret|certificate|key) not found: \S/, 10),
    phrase(" subscription", /(?:could not be found|does not exist) in (?:the )?(?:current )?subscription/, -6),
    phrase(["the subscription", "subscriptionnotfound"], /subscriptionnotfound|the subscription ['"][^'"]*['"] could not be found/, -12),
  ],
  cause:
    "The connection signed in and was allowed to ask; the resource the step names is not where it looks: a misspelt name, another resource group or subscription than the connection's scope, a resource a previous step was to create, or a pipeline variable that was empty when the name was built.",
  fix: [
    "Read the name and the scope in the message: does the resource exist with exactly that name in that resource group and subscription (portal search, or az resource list --name <name> -o table)?",
    "Check the variables that build the name (a variable set only in another stage or a typo in $(name) stays literal or empty): print them in a step before the failing one.",
    "If the resource is in another subscription, use a connection scoped to it (or pass --subscription / -SubscriptionId in the script); if a previous step should create it, make the failing step depend on it.",
  ],
  verify: ["az resource show --ids <the resource id> (or the task's own lookup) finds the resource with the connection's identity.", "Re-run the step; it gets past the lookup."],
  ambiguities: [
    {
      when: /(?:could not be found|does not exist) in (?:the )?(?:current )?subscription|could not be found|does not exist|doesn't exist/,
      unless: /resourcenotfound|resourcegroupnotfound|parentresourcenotfound|under resource group/,
      reason: "Azure answers 'not found' also when the identity may not read the resource: a lookup by name lists only what the connection's role lets it see.",
      checks: ["Does the resource exist under that name (portal, as an owner)? If it does, the connection's service principal lacks a role on it (rbac-authorization-failed): az role assignment list --assignee <appId> --all."],
    },
  ],
  distinguish: ["'The subscription … could not be found' is about the connection's subscription (subscription-not-listed), not a resource."],
  references: ["https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-not-found", "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors"],
});
