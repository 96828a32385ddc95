import { CONNECTION_INPUT, define, phrase } from "./define.js";

/**
 * Not the service connection: the step's own code failed — a build, a test, a package restore, a script's syntax,
 * a template or Terraform configuration the tool refuses before it asks Azure anything.
 */
export default define({
  id: "script-or-template-error",
  rootCauseClass: "other",
  title: "Not the service connection: the script, build or template itself fails",
  spec: ["S17"],
  signals: [
    // (A Python traceback is no cause of its own: its last line says why, and explain reads past the frames.)
    phrase(["npm err", "error cs", "error ts", "nu1", "nu5", "msb", "mvn", "gradle", "pytest", "assertionerror", "segmentation"], /\b(?:npm err!|error cs\d{4}|error ts\d{4}|nu\d{4}|msb\d{4}|mvn|gradle|pytest|assertionerror|segmentation fault)/, 12),
    phrase(["docker", "registry", "pull access", "image not found", "manifest unknown", "error response from daemon"], /(?:docker|registry|pull access denied|image not found|manifest unknown|error response from daemon)/, 6),
    // git's own failures checking out or pushing a repository (Azure Repos refusing the job's token: devops-permission-denied).
    phrase("fatal:", /fatal: (?:could not read|repository|not a git repository|authentication failed for)/, 12),
    phrase(["unsupported argument", "unexpected value", "syntax error", "could not be parsed", "unexpected token"], /(?:unsupported argument|unexpected value|syntax error|could not be parsed|unexpected token)/, 9),
    phrase(["no value for required variable", "is not set, and has no default value"], /no value for required variable|is not set, and has no default value/, 12),
    phrase(["invalidtemplate", "template validation", "deployment template validation failed", "bcp", "deployment template"], /\binvalidtemplate\b(?!deployment)|deployment template (?:validation|parse) failed|template validation failed|\bbcp\d{3}\b/, 10),
    phrase(["invalid value", "missing required argument", "the argument", "is required, but no definition was found", "unrecognized arguments"], /error: unrecognized arguments:(?! --federated-token)|the argument "[^"]+" is required, but no definition was found|missing required argument|invalid value for (?:input|variable|parameter)/, 7),
    // Terraform's own state (a lock held by another run, a resource it does not manage yet) and az's own crashes.
    phrase(["state lock", "imported into the state", "unexpected error. here is the traceback", "state blob"], /error acquiring the state lock|state blob is already locked|needs to be imported into the state|the command failed with an unexpected error\. here is the traceback/, 12),
    phrase(["invalidparameter", "invalidrequestcontent", "invalidresourcereference", "linkedinvalidpropertyid", "invalidrequestformat"], /\b(?:invalidparameter|invalidrequestcontent|invalidresourcereference|linkedinvalidpropertyid|invalidrequestformat)\b/, 9),
    // ARM's codes for a template or request that asks for what cannot be (common deployment errors): the template's to fix.
    phrase(
      ["jobsizeexceeded", "privateipaddress", "propertychangenotallowed", "subnetsnotinsamevnet", "invalidresourcenamespace", "invalidresourcetype", "invalidapiversion", "inusesubnetcannotbedeleted", "passwordtoolong"],
      /\b(?:jobsizeexceeded|privateipaddress(?:inreservedrange|notinsubnet)|propertychangenotallowed|subnetsnotinsamevnet|invalidresourcenamespace|invalidresourcetype|invalidapiversion(?:parameter)?|inusesubnetcannotbedeleted|passwordtoolong)\b/,
      10,
    ),
    // A role assignment the template or script asks for that Azure RBAC refuses as a request (docs/reference/identity-
    // arm-api.md: an assignment already there under another name, an assignment's principal or scope changed, a role
    // definition or principal id that is not one): the caller may assign roles; what it asks is wrong.
    phrase(
      ["roleassignmentexists", "roleassignmentupdatenotpermitted", "roledefinitiondoesnotexist", "invalidroledefinitionid", "invalidroleassignmentid", "invalidprincipalid", "the role assignment already exists", "are not allowed to be updated", "the specified role definition with id"],
      /\b(?:roleassignmentexists|roleassignmentupdatenotpermitted|roledefinitiondoesnotexist|invalidroledefinitionid|invalidroleassignmentid|invalidprincipalid)\b|the role assignment already exists|principal id, and scope are not allowed to be updated|the specified role definition with id '[^']*' does not exist/,
      12,
    ),
    // The Terraform azuredevops provider's own gaps (resource_serviceendpoint_azurecr.go: a scheme or creation mode
    // it has not implemented for that endpoint type): the configuration asks the tool for what it cannot do yet.
    phrase(["is not supported yet"], /(?:authenticationscheme|endpointcreationmode) is not supported yet/, 14),
    // A feature the resource's pricing tier or SKU does not offer: the request's to change, or the plan.
    phrase(["tier", "sku", "plan"], /(?:not (?:supported|available|allowed)|unsupported) (?:on|in|for) (?:the )?(?:free|shared|basic|standard|consumption|dynamic|premium)(?: and (?:free|shared|basic))? (?:tier|sku|plan|pricing tier)s?\b/, 10),
    // ARM's plain 400 for a property it refuses, in az's and the REST body's forms (an identity's failures carry their own codes).
    phrase(["(badrequest)", "badrequest"], /\(badrequest\)|"code": ?"badrequest"|\bcode: ?badrequest\b/, 6),
    // Terraform's own diagnostics about the configuration, its modules, providers and lock file (the summaries in
    // hashicorp/terraform's internal/ packages); a provider's sign-in failures, the backend's state reads and downloads
    // from a registry (often the network: their details say) are not among them.
    phrase(
      [
        "invalid reference",
        "invalid index",
        "invalid function argument",
        "invalid value for input variable",
        "invalid for_each argument",
        "invalid count argument",
        "invalid resource type",
        "unsupported attribute",
        "unsupported block type",
        "unsupported terraform core version",
        "reference to undeclared ",
        "inconsistent dependency lock file",
        "backend initialization required",
        "module not installed",
        "required plugins are not installed",
        "failed to load plugin schemas",
        "provider produced inconsistent",
        "duplicate resource",
        "duplicate module call",
        "duplicate variable declaration",
        "duplicate output definition",
        "cycle: ",
        "incorrect attribute value type",
        "missing required provider configuration",
        "saved plan is stale",
      ],
      /\berror: (?:invalid (?:reference|index|function argument|value for input variable|for_each argument|count argument|resource type)|unsupported (?:attribute|block type|terraform core version)|reference to undeclared |inconsistent dependency lock file|backend initialization required|module not installed|required plugins are not installed|failed to load plugin schemas|provider produced inconsistent (?:result|final plan)|duplicate (?:resource|module call|variable declaration|output definition)|cycle: |incorrect attribute value type|missing required provider configuration|saved plan is stale)/,
      12,
    ),
    // kubectl refusing a manifest or a credential plugin's API version: the manifest's or the tools' versions.
    phrase(["no matches for kind", "exec plugin: invalid apiversion"], /no matches for kind "[^"]+" in version|exec plugin: invalid apiversion/, 10),
    // App Service's deployment of the package itself (Kudu's logs say why), and a package type the platform refuses.
    phrase(["zip deploy failed", "only supported for windows platform"], /package deployment using zip deploy failed|zip deploy failed|generated package is only supported for windows platform/, 10),
    // A task input left empty that names no connection (backendAzureRmStorageAccountName): the step's YAML.
    phrase("input required: ", new RegExp(`input required: (?!${CONNECTION_INPUT})[\\w.]+`), 7),
    // Kubernetes' and Helm's own refusals: a manifest it cannot validate, a cluster role of the cluster's own service
    // account, a release name in use, a release that never became ready, a cluster without local accounts asked for admin
    // credentials, an image the cluster itself cannot pull.
    phrase(
      ["error validating data", "is forbidden: user \"system:", "cannot re-use a name that is still in use", "timed out waiting for the condition", "disable local accounts", "failed to pull image"],
      /error validating data: validationerror|is forbidden: user "system:(?:serviceaccount|anonymous|node)|cannot re-use a name that is still in use|(?:upgrade|installation) failed: timed out waiting for the condition|set to disable local accounts|failed to pull image "/,
      10,
    ),
    // SqlPackage publishing a DACPAC: the schema's own conflicts (an object that exists, a blocked change, data that
    // would be lost, a reference it cannot resolve); its SQL72014 wrapper only counts a little, the inner message decides.
    phrase(["data loss could occur", "data loss might occur", "error sql0: ", "there is already an object named", "blocked by"], /data loss (?:could|might) occur|\berror sql0: |there is already an object named|changes to \S+ are blocked by/, 10),
    phrase(["error sql7"], /\berror sql7\d{4}:/, 4),
    // A token asked for another resource than ARM (a script's scope): ARM's InvalidAuthenticationTokenAudience.
    phrase(["invalidauthenticationtokenaudience", "obtained for wrong audience"], /\binvalidauthenticationtokenaudience\b|token has been obtained for wrong audience/, 12),
    // Storage refusing a shared key or SAS the step built or was given (its signature, its expiry), not an Entra identity.
    phrase(["server failed to authenticate the request", "sas token has expired", "signed expiry time", "signature not valid in the specified time frame"], /server failed to authenticate the request\. make sure the value of authorization header is formed correctly|sas token has expired|signed expiry time \[[^\]]*\] must be after signed start time|signature not valid in the specified time frame/, 10),
    // GitHub's API refusing the token a step passes (Octokit's HttpError): a GitHub credential, not an Azure one.
    phrase("bad credentials", /httperror: bad credentials|"message":\s*"bad credentials"/, 10),
    // A SAS that does not grant the service, resource type or source address asked for (Storage's AuthorizationResourceTypeMismatch and kin).
    phrase(["authorizationresourcetypemismatch", "authorizationservicemismatch", "authorizationsourceipmismatch", "using this resource type", "using this service"], /\bauthorization(?:resourcetype|service|sourceip)mismatch\b|not authorized to perform this operation using this (?:resource type|service)\b/, 10),
    // A database login by user name and password (a connection string's own credential), not an Entra identity.
    phrase(["(using password: yes)", "password authentication failed for user", "login failed for user '"], /access denied for user '[^']*'@'[^']*' \(using password: yes\)|password authentication failed for user "|login failed for user '(?!<token-identified principal>)[^']+'/, 10),
    // PowerShell's parser refusing the script before it runs.
    phrase(["parsererror", "missing closing", "missing the terminator"], /\bparsererror\b|missing closing '[)}\]]'|the string is missing the terminator/, 10),
    // A login by name and password to a server that accepts only Entra ID: the step's authentication type, not the connection.
    phrase(["only authentication is enabled"], /(?:azure active directory|microsoft entra|entra|aad)[ -]only authentication is enabled/, 12),
    // A dependency the script's own runtime cannot load (Node's, Python's), and a test step with nothing to run.
    phrase(["cannot find module '", "no module named", "no test assemblies found"], /\bcannot find module '[^']+'|modulenotfounderror: no module named|no test assemblies found matching the pattern/, 10),
    // PowerShell's own runtime errors in a script: its logic, whatever it was about to call.
    phrase(
      ["cannot index into a null array", "null-valued expression", "cannot find an overload for", "cannot be found on this object", "has not been set", "in expression or statement"],
      /cannot index into a null array|you cannot call a method on a null-valued expression|cannot find an overload for "|property '[^']+' cannot be found on this object|the variable '\$[^']+' cannot be retrieved because it has not been set|unexpected token '[^']*' in expression or statement/,
      10,
    ),
    // Azure Pipelines' own YAML and template errors: a file position, an expression it cannot read.
    phrase(["(line: ", "unrecognized value: '"], /\(line: \d+, col: \d+\): |unrecognized value: '[^']*'\. located at position/, 6),
    // The server compiling a run whose YAML names a task the organization has not installed (TaskMissing).
    phrase("a task is missing", /a task is missing\. the pipeline references a task called/, 16),
    // az refusing its own command line before it calls anything (a command of an extension not installed, a typo,
    // `usage error: please specify --scope …`).
    phrase("is misspelled or not recognized by the system", /is misspelled or not recognized by the system/, 10),
    phrase("usage error:", /\busage error: /, 10),
    phrase(["parameterbindingexception", "cannot bind argument", "parameterargumentvalidationerror", "positional parameter"], /parameterbindingexception|cannot bind argument to parameter|parameterargumentvalidationerror|a positional parameter cannot be found/, 8),
  ],
  cause:
    "The step's own content failed: a build or test, a package restore, a script with a syntax or argument error, or a template or Terraform configuration the tool rejects before it calls Azure with the connection. The connection is not involved in this error.",
  fix: [
    "Read the first error line of the step (not the last summary line) and fix the code, script or template it names; run the same command locally with the same inputs.",
    "For templates: az deployment group validate (or what-if) with the same parameters shows the template error; for Terraform: terraform validate.",
    "If the first error names an Azure code (AADSTS…, AuthorizationFailed) explain that line instead: it would be the connection's.",
  ],
  verify: ["The step's command succeeds locally (or in a test run) with the same inputs.", "Re-run the pipeline."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/troubleshooting/troubleshooting", "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors"],
});
