import { define, otherPipelineResourceRefused, phrase } from "./define.js";

export default define({
  id: "pipeline-not-authorized",
  rootCauseClass: "pipeline_not_authorized",
  title: "The pipeline is not authorized to use the service connection",
  spec: ["S14"],
  signals: [
    phrase("not authorized", /resource (?:is )?not authorized/, 12),
    phrase("has not been authorized for use", /has not been authorized for use/, 10),
    phrase("resource authorization issue", /resource authorization issue/, 10),
    phrase("to use the referenced service connection", /does not have permissions? to use the referenced service connection/, 14),
    phrase("needs permission to access", /needs permission to access (?:a |\d+ )?resources?/, 10),
    phrase("yamlauthz", /aka\.ms\/yamlauthz/, 6),
    phrase("authorize resources", /authorize resources/, 5),
    phrase("references service ", /references service (?:connection|endpoint) (?!\$[([]).{1,80} which could not be found/, 6),
    // A connection named by $(variable) is not a permissions problem: the name was unknown at compile time.
    phrase("references service ", /references service (?:connection|endpoint) \$[([]/, -20),
    // The same sentence is said of agent pools, environments, variable groups, secure files and repositories: none is a
    // service connection (pipeline-resource-not-authorized, agent-or-pool).
    phrase(["a pool", "pool with name"], /could not find a pool|pool with name/, -30),
    otherPipelineResourceRefused(-20),
  ],
  cause:
    "Service connections are protected resources. The pipeline ({pipeline}) is not on the connection {connection}'s list of permitted pipelines (and the connection is not open to all pipelines), so the run stops before any job starts.",
  fix: [
    "Project settings > Service connections > {connection} > … > Security > Pipeline permissions > + > add the pipeline (or press 'Permit' on the run's 'needs permission' banner).",
    "REST: PATCH https://dev.azure.com/<org>/<project>/_apis/pipelines/pipelinePermissions/endpoint/<endpoint id>?api-version=7.1-preview.1 with {\"pipelines\":[{\"id\":<definition id>,\"authorized\":true}]}.",
    "Granting access to all pipelines ('Open access', allPipelines.authorized=true) also works but lets any pipeline in the project use the connection; prefer specific pipelines.",
  ],
  verify: ["GET …/_apis/pipelines/pipelinePermissions/endpoint/<endpoint id> lists the pipeline with authorized: true.", "Queue the run again; it passes validation."],
  distinguish: [
    "If the connection name in the message is a $(variable), the name is not known at compile time: subscription-variable-runtime.",
    "If no connection of that name exists in the project, create it or fix the name.",
    "If the message names a variable group ('Variable group <name> could not be found …'), the group is the resource: permit the pipeline on it (Pipelines > Library > the group > Pipeline permissions; REST PATCH …/_apis/pipelines/pipelinePermissions/variablegroup/<group id>).",
  ],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#service-connection-not-authorized-for-pipeline",
    "https://aka.ms/yamlauthz",
  ],
});
