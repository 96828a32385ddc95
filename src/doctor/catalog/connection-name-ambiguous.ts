import { define, phrase } from "./define.js";

export default define({
  id: "connection-name-ambiguous",
  rootCauseClass: "pipeline_not_authorized",
  title: "Two service connections visible to the project have the name the pipeline uses",
  spec: ["S14"],
  signals: [
    phrase("is ambig", /service (?:connection|endpoint) name .{1,120}? is ambig/, 16),
    phrase("ambiguous", /(?:connections?|endpoints?|named?)\b.{0,80}\bambiguous\b|\bambiguous\b.{0,80}\b(?:connection|endpoint)/, 6),
    phrase(["same name", "more than one", "named", "called"], /(?:two|several|multiple|more than one) (?:service )?connections? (?:\w+ ){0,4}(?:same name|named|called)|(?:name )?matches more than one connection|connections with the same name/, 8),
  ],
  cause:
    "The pipeline names its connection {connection} by name, and more than one connection visible to the project answers to it (names compare without case; a connection shared into the project from another counts too). Azure Pipelines will not guess, and the run fails before any job.",
  fix: [
    "Rename one of them: Project settings > Service connections > the connection > Edit > Service connection name (a shared connection keeps its own name per project).",
    "Or name the connection by its id in the YAML (azureSubscription: <connection id>), which is never ambiguous.",
    "REST: GET https://dev.azure.com/<org>/<project>/_apis/serviceendpoint/endpoints?endpointNames=<name>&api-version=7.1 lists every connection with that name, with ids.",
  ],
  verify: ["Queue the run again; it passes validation."],
  distinguish: ["'Service connection with name … already exists' appears when creating a connection (duplicate-connection-name); 'is ambiguous' when a pipeline uses the name."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints"],
});
