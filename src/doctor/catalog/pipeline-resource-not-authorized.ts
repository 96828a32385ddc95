import { define, OTHER_PIPELINE_RESOURCE, otherPipelineResourceRefused, phrase } from "./define.js";

/**
 * Not the service connection: another protected resource the run uses — an environment, a variable group, a secure
 * file, a repository — does not exist or was never opened to the pipeline. Azure DevOps says it in the same words it
 * uses for a service connection, so the resource's kind decides.
 */
export default define({
  id: "pipeline-resource-not-authorized",
  rootCauseClass: "other",
  title: "Not the service connection: an environment, variable group, secure file or repository the pipeline uses is missing or not authorized",
  spec: ["S17"],
  signals: [
    otherPipelineResourceRefused(16),
    // Azure DevOps names the resource bare ("Environment prod could not be found"); a cloud's "Azure Environment with name" is Terraform's.
    phrase("could not be found", new RegExp(`(?<!azure )${OTHER_PIPELINE_RESOURCE} (?!with name)['"]?[\\w.-]{1,80}['"]? could not be found`), 6),
    // A Key Vault-linked variable group's own connection is the connection's (pipeline-not-authorized).
    phrase(["service connection"], /service connection/, -8),
  ],
  cause:
    "Azure DevOps compiles the run and checks every protected resource it uses before any job starts. An environment, variable group, secure file or repository the YAML names either does not exist under that name in this project, or its security does not permit this pipeline — the same words it uses for a service connection, but the service connection is not what is missing.",
  fix: [
    "Check the name the YAML gives against Pipelines > Environments, Pipelines > Library (variable groups and secure files) or the project's repositories; names are per project.",
    "Open the resource's Security (an environment, a variable group, a secure file: Pipeline permissions; a repository: Project settings > Repositories > the repository > Security) and add this pipeline, or use 'Permit' on the waiting run's page.",
    "A repository in another project also needs 'Limit job authorization scope to referenced Azure DevOps repositories' and the project's build service given Read on it.",
  ],
  verify: ["Queue the run again: it passes validation and its jobs start."],
  distinguish: [
    "'references service connection … which could not be found … has not been authorized for use' is the service connection's own authorization (pipeline-not-authorized).",
    "'Could not find a pool with name …' is the agent pool (agent-or-pool).",
  ],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/process/resources#use-resources",
    "https://learn.microsoft.com/azure/devops/pipelines/security/resources",
    "https://aka.ms/yamlauthz",
  ],
});
