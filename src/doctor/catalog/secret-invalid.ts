import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "secret-invalid",
  rootCauseClass: "secret_expired_or_invalid",
  title: "The client secret is wrong",
  spec: ["S9"],
  schemes: ["secret"],
  signals: [
    phrase("service principal used is valid", /verify if the service principal used is valid and not expired/, 5),
    aadsts(7000215, 14),
    phrase("invalid client secret", /invalid client secret (?:is )?provided/, 12),
    phrase("invalid client id or client secret", /invalid client id or client secret/, 10),
    phrase("50012", /aadsts50012:? invalid client secret/, 12),
    phrase("client secret value, not the client secret id", /client secret value, not the client secret id/, 8),
    aadsts(7000218, 8),
    phrase("client_secret", /must contain the following parameter: 'client_assertion' or 'client_secret'/, 8),
    // az login's argument parser given a secret that begins with '-' (read as an option) or an empty one.
    phrase(["argument -p/--password", "argument --password/-p"], /az login: error: argument (?:-p\/--password|--password\/-p): expected one argument/, 12),
  ],
  cause:
    "Microsoft Entra ID did not recognise the secret the connection sent for application {clientId}: it was mistyped, the secret's ID was pasted instead of its value, it was rotated elsewhere, or it was removed; or az login could not take it as written (a secret beginning with '-'). (An expired secret gives AADSTS7000222 instead.)",
  fix: [
    "If the connection was created automatically: Project settings > Service connections > {connection} > Rotate secret (a new secret valid three months is stored in the connection).",
    "If it was created manually: create a new secret (Azure portal > App registrations > the app > Certificates & secrets > New client secret; or az ad app credential reset --id {clientId} --append) and paste its Value (not its Secret ID) into the connection.",
    "Better: convert the connection to workload identity federation so it needs no secret (Edit > Convert, or PUT …/serviceendpoint/endpoints/{id}?operation=ConvertAuthenticationScheme).",
  ],
  verify: [
    "az login --service-principal -u {clientId} -p <new secret> --tenant {tenant} succeeds.",
    "Service connection > Edit > Verify succeeds.",
  ],
  ambiguities: [
    {
      // Nothing was sent: not a wrong secret, but none (or a tool that sends neither a secret nor an assertion).
      when: /aadsts(?:7000218|900144)|must contain the following parameter: 'client_assertion' or 'client_secret'/,
      unless: /federat|oidc|workload identity|client_assertion.{0,40}(?:expired|invalid)/,
      reason:
        "Microsoft Entra ID received neither a secret nor a federated assertion: the secret is empty (a variable that was not set, a connection saved without it), or a task or tool that does not do workload identity federation was given a federation connection and sent nothing in its place.",
      checks: [
        "Which scheme does the connection use? For a secret: is it set in the connection (Edit shows it) or in the script's variable? For workload identity federation: which task printed this, and does its version support federation?",
      ],
    },
    {
      when: /argument (?:-p\/--password|--password\/-p): expected one argument/,
      reason:
        "az login reads a secret that begins with '-' as another option (the task passed it as -p <secret>); a script's own az login says the same when its secret variable is empty (AzureCLI@2 sets $servicePrincipalKey only with addSpnToEnvironment: true).",
      checks: [
        "Does the connection's secret begin with '-'? Create a new one that does not (or use a task version that passes --password=<secret>). In a script's own az login: is the secret variable set in that step?",
      ],
    },
  ],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#service-principal-or-secret-expired",
    "https://learn.microsoft.com/entra/identity-platform/reference-error-codes",
  ],
});
