/**
 * Every finding a scan can report: a stable kind, its severity, what it means and the fix. A finding's id is
 * `{kind}/{connection id}` (or `{kind}/{application id}` for an orphan), the same from one scan to the next.
 */
export type Severity = "critical" | "high" | "medium" | "low";

export const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low"];

export interface FindingKind {
  kind: string;
  severity: Severity;
  title: string;
  /** The `explain` diagnosis that describes the failure this finding causes or predicts. */
  explanation: string | null;
  fix: string;
}

const kinds = [
  { kind: "connection-not-ready", severity: "high", title: "The connection failed or is not ready", explanation: "jwt-acquisition-failed", fix: "Edit the connection, Verify, and Save it again; its operation status names what failed (the explanation is that message's diagnosis when explain recognises it)." },
  { kind: "secret-expired", severity: "critical", title: "Every client secret of the connection's application has expired", explanation: "secret-expired", fix: "Rotate the secret (Edit > Rotate secret, or az ad app credential reset), or convert the connection to workload identity federation." },
  { kind: "secret-expiring", severity: "medium", title: "The connection's newest client secret expires soon", explanation: "secret-expired", fix: "Rotate the secret before it expires, or convert the connection to workload identity federation." },
  { kind: "certificate-expired", severity: "critical", title: "Every certificate of the connection's application has expired", explanation: "certificate-invalid", fix: "Upload a new certificate to the application and to the connection." },
  { kind: "certificate-expiring", severity: "medium", title: "The connection's newest certificate expires soon", explanation: "certificate-invalid", fix: "Upload a new certificate to the application and to the connection before it expires." },
  { kind: "application-missing", severity: "critical", title: "The connection's application does not exist in the directory", explanation: "app-not-found", fix: "Create a new connection (or point a manual one at an existing application) and delete this one." },
  { kind: "service-principal-missing", severity: "critical", title: "The connection's application has no service principal in the tenant", explanation: "service-principal-missing", fix: "Create the service principal again (az ad sp create --id <appId>) and give it its role." },
  { kind: "service-principal-disabled", severity: "critical", title: "The connection's service principal is disabled", explanation: "app-disabled", fix: "Enable it: Enterprise applications > the app > Properties > Enabled for users to sign-in = Yes (PATCH servicePrincipals accountEnabled=true)." },
  { kind: "no-role-at-scope", severity: "high", title: "The service principal holds no role at the connection's scope", explanation: "rbac-authorization-failed", fix: "Assign the least role the pipelines need (e.g. Contributor) at the connection's scope." },
  { kind: "role-insufficient", severity: "high", title: "The connection's role does not allow what its pipelines do", explanation: "rbac-authorization-failed", fix: "Assign a role that allows the refused action (Contributor for deployments) at the connection's scope; the evidence names the action and the run that was refused." },
  { kind: "over-privileged", severity: "high", title: "The service principal is Owner or User Access Administrator at subscription level or above", explanation: null, fix: "Replace the role by the least one the pipelines need, at the narrowest scope (a resource group where possible)." },
  { kind: "federated-credential-missing", severity: "critical", title: "The workload identity connection's application has no federated credentials", explanation: "wif-no-federated-credentials", fix: "Add a federated credential with the connection's issuer and subject to the application." },
  { kind: "federated-credential-mismatch", severity: "critical", title: "No federated credential matches the connection's issuer and subject", explanation: "wif-subject-mismatch", fix: "Edit the application's federated credential to the issuer and subject the connection shows (or add one)." },
  { kind: "legacy-issuer", severity: "low", title: "The connection still uses the older Azure DevOps (vstoken) issuer", explanation: "wif-issuer-mismatch", fix: "Move it to the Entra issuer: Edit the connection (or re-convert), then update the application's federated credential." },
  { kind: "open-access", severity: "medium", title: "Every pipeline of the project may use the connection", explanation: null, fix: "Turn off open access and permit only the pipelines that need the connection (Security > Pipeline permissions)." },
  { kind: "shared-across-projects", severity: "low", title: "The connection is shared with other projects", explanation: null, fix: "Check that every project it is shared with needs it; remove the others (Security > Project permissions)." },
  { kind: "task-without-federation", severity: "medium", title: "A pipeline that uses the connection runs a task version without workload identity federation", explanation: "task-lacks-wif-support", fix: "Before converting the connection to workload identity federation, move those steps to a task version that supports it (the evidence names it, e.g. AzureFileCopy@6), or give them a connection of their own that keeps a secret." },
  { kind: "managed-identity-on-hosted", severity: "high", title: "A managed identity connection is used from Microsoft-hosted agents", explanation: "managed-identity-unsupported", fix: "Run the pipelines that use it on a self-hosted pool whose agents run on the VM (or scale set) with the identity, or use a workload identity connection instead." },
  { kind: "unused", severity: "low", title: "The connection has not been used for a long time", explanation: null, fix: "Delete the connection (and its application with deep delete) if nothing needs it any more." },
  { kind: "shared-application", severity: "medium", title: "More than one connection uses the same application", explanation: null, fix: "Give each connection its own application, so rotating or deleting one does not break the others." },
  { kind: "orphaned-application", severity: "medium", title: "An application created for a connection outlives it", explanation: "delete-cleanup-failed", fix: "Delete the application and its role assignments (az ad app delete --id <appId>; az role assignment delete --assignee <objectId>)." },
] as const satisfies readonly FindingKind[];

export type FindingKindId = (typeof kinds)[number]["kind"];

export const FINDING_KINDS: ReadonlyMap<string, FindingKind> = new Map(kinds.map((k) => [k.kind, k]));

export interface Finding {
  /** `{kind}/{connection or application id}`: stable across scans. */
  id: string;
  kind: FindingKindId;
  severity: Severity;
  title: string;
  connection: { id: string; name: string; projects: string[] } | null;
  application: { appId: string; objectId?: string; displayName?: string } | null;
  scope: string | null;
  /** What was read, with values: the finding can be checked by hand from it. */
  evidence: Record<string, unknown>;
  explanation: string | null;
  fix: string;
}

/** A finding of a kind; `explanation` replaces the kind's diagnosis when what was read names a more precise one. */
export function finding(kind: FindingKindId, subject: string, fields: Pick<Finding, "connection" | "application" | "scope" | "evidence"> & { explanation?: string }): Finding {
  const k = FINDING_KINDS.get(kind)!;
  return { id: `${kind}/${subject}`, kind, severity: k.severity, title: k.title, explanation: k.explanation, fix: k.fix, ...fields };
}
