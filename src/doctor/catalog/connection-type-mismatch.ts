import { define, phrase } from "./define.js";

export default define({
  id: "connection-type-mismatch",
  rootCauseClass: "pipeline_not_authorized",
  title: "The task input names a service connection of another type",
  spec: ["S14"],
  signals: [
    phrase("expects a service ", /expects a service (?:connection|endpoint) of type \S+ but the provided service (?:connection|endpoint) .{1,120}? is of type/, 16),
    // The scheme form of the same sentence is a task without workload identity federation, not a wrong type.
    phrase("with authentication scheme", /expects a service (?:connection|endpoint) of type \S+ with authentication scheme/, -12),
    phrase(" of type ", /(?:is|is not|isn't) of type .{0,60}(?:azurerm|azure resource manager|github|generic|docker|kubernetes)/, 6),
    phrase(["type", "kind"], /(?:wrong|another|different) (?:service )?connection (?:type|kind)|(?:connection|endpoint) type (?:is )?(?:wrong|not supported)/, 8),
    phrase(["generic", "docker", "github", "classic", "kubernetes", "npm", "nuget", "sonar"], /(?:gave|passed|selected|used|picked) (?:it |the task )?(?:our |a |the )?(?:generic|docker(?: registry)?|github|azure classic|kubernetes|npm|nuget|sonar\w*) (?:service )?connection/, 8),
  ],
  cause:
    "Each task input that takes a service connection names the type it accepts (azureSubscription takes Azure Resource Manager, type AzureRM). The connection {connection} the pipeline names is of another type, so the run fails before any job; nothing was tried against Azure.",
  fix: [
    "Name a connection of the type the input expects: for azureSubscription / ConnectedServiceNameARM an Azure Resource Manager connection (Project settings > Service connections > New service connection > Azure Resource Manager).",
    "Check the input: the task's reference lists which inputs take which connection type (a Docker registry, Kubernetes or GitHub connection belongs in its own input).",
  ],
  verify: ["Queue the run again; it passes validation and the task's log shows the connection being used."],
  distinguish: ["If the sentence says 'with authentication scheme', the type is right but the task does not accept the connection's scheme (task-lacks-wif-support)."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints#use-a-service-connection"],
});
