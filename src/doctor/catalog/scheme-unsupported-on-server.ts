import { define, phrase } from "./define.js";

export default define({
  id: "scheme-unsupported-on-server",
  rootCauseClass: "wif_other",
  title: "Azure DevOps Server supports only service principal and managed identity connections",
  spec: ["S18"],
  signals: [
    phrase("azure devops server", /not supported on azure devops server/, 16),
    phrase("azure devops server", /azure devops server(?: 20\d\d)?\b.{0,80}(?:workload identity|workloadidentityfederation|federat)/, 10),
    phrase(["workload identity", "workloadidentityfederation"], /(?:workload identity|workloadidentityfederation).{0,80}azure devops server/, 10),
    phrase("use a service principal or a managed identity", /use a service principal or a managed identity/, 6),
  ],
  cause:
    "Azure DevOps Server 2022 (on-premises) offers only the service principal (secret or certificate) and managed identity schemes for Azure Resource Manager connections. Workload identity federation and the automatic app registration flow belong to Azure DevOps Services, so the server refuses the connection's scheme.",
  fix: [
    "Create the connection with Service principal (manual): an administrator registers an application, gives it a role on the scope (az ad sp create-for-rbac --name <name> --role Contributor --scopes /subscriptions/{subscriptionId}), and you enter its client id, tenant id and secret or certificate.",
    "Or, for a self-hosted agent on an Azure VM, use Managed identity with the VM's system- or user-assigned identity and give that identity a role on the scope.",
    "To use workload identity federation, move the project to Azure DevOps Services.",
  ],
  verify: ["Save the connection with the service principal or managed identity scheme; Verify succeeds (service principal) or a pipeline on the VM's agent reaches Azure (managed identity)."],
  distinguish: ["A task (not the server) rejecting workload identity points to task-lacks-wif-support."],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/library/connect-to-azure",
    "https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity",
  ],
});
