import { CONNECTION_INPUT, define, phrase } from "./define.js";

export default define({
  id: "subscription-variable-runtime",
  rootCauseClass: "subscription_variable_not_passed",
  title: "The service connection is named by a variable that is only known at run time",
  spec: ["S11"],
  signals: [
    phrase("references service ", /references service (?:connection|endpoint) (?:\$\([^)]{0,200}\)|\$\[)/, 24),
    phrase("$(", /(?:azuresubscription|connectedservicename(?:arm)?|serviceconnection)\s*[:=]\s*'?\$\((?!system)[^)]{1,200}\)/, 8),
    phrase(["previous task", "output variable", "preceding task"], /(?:output variable|previous task|preceding task).{0,80}(?:subscription|service connection)/, 8),
    phrase("t passed", /subscription (?:is ?n[o']t|not) passed/, 12),
    // A person's words for the connection named by a value only known at run time (templates expand before it).
    phrase(["runtime", "run time", "queue time", "expanded", "compile time"], /(?:service connection|subscription|azuresubscription)\b.{0,80}\b(?:runtime|run-time|run time) (?:variable|parameter|expression)|(?:service connection|subscription)\b.{0,120}\b(?:expanded|resolved|evaluated) (?:before|at) (?:runtime|run time|compile time|queue time)|(?:templates?|expressions?) (?:are |is )?(?:expanded|evaluated|resolved) (?:before|at) (?:runtime|run time|compile time)/, 9),
    phrase("which could not be found", /service connection .{0,80} which could not be found/, 3),
    // A subscription id a step builds from a variable that is empty when it runs.
    phrase(["the subscription of ''", "subscription_id` is a required", "subscription_id is a required"], /the subscription of '' doesn't exist in cloud|`?subscription_id`? is a required provider property/, 14),
    // azure-pipelines-task-lib (lib.json LIB_InputRequired, LIB_EndpointAuthNotExist, LIB_EndpointNotExist): the task's
    // connection input was empty when the step ran, or names a connection the job was never given — what a name
    // set at run time leaves; a literal name is resolved (or refused) before any step runs.
    phrase("input required:", new RegExp(`input required: ${CONNECTION_INPUT}`), 9),
    phrase(["endpoint auth data not present", "endpoint not present:"], /endpoint auth data not present|endpoint not present: /, 9),
  ],
  // The connection the run looked for is still a macro: it was not known when the pipeline compiled.
  entities: [{ entity: "connection", pattern: /^\$[([]/, weight: 6 }],
  cause:
    "Azure Pipelines resolves and authorizes service connections when the run is compiled, before any task runs. The connection input names a variable ({connection}) whose value is set by a previous task (an output variable), so at compile time the name is empty or literal and 'could not be found'. The same happens at run time to a subscription id that a script or a tool (az account set, Terraform's azurerm provider) takes from a variable that is empty in that step.",
  fix: [
    "Define the connection name in the pipeline's variables section (or as a template/runtime parameter) so it is known when the run is compiled: variables: { azureSubscription: 'my-connection' } and azureSubscription: $(azureSubscription).",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text shows a pipeline compile-time expression
    "To choose between connections, use a parameter with allowed values, or a compile-time expression ${{ variables.azureSubscription }}; do not set the name from a task's output.",
    "For a script or Terraform: read the subscription in the same step that signs in (AzureCLI@2: az account show --query id -o tsv; Terraform: ARM_SUBSCRIPTION_ID), or pass it as a variable defined for that stage, not as another job's output without dependencies.",
  ],
  verify: ["Queue the run again: it passes validation and the task shows the resolved connection name in its log."],
  distinguish: [
    "If the named connection is a literal name (no $(…)), the run was not authorized to use it: see pipeline-not-authorized.",
  ],
  ambiguities: [
    {
      when: /input required: /,
      reason: "The task's connection input was empty when the step ran: a name set at run time leaves it so, and so does a YAML that never gives the input.",
      checks: ["Does the step's YAML give the input (azureSubscription, connectedServiceNameARM…)? If it does and names a variable, where is that variable set — a previous step or job sets it too late."],
    },
  ],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#azure-subscription-isnt-passed-from-the-previous-task-output"],
});
