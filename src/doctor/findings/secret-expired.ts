import { type CredentialEvidence, DAY } from "../scan/connection-facts.js";
import { type FixPlan, type FixStep, planBase, type Unfixable } from "../fix/steps.js";
import { expired } from "./certificate-expired.js";
import { defineFinding, type Finding, lacking, type PlanContext } from "./define.js";
import type { TaskWithoutFederationEvidence } from "./task-without-federation.js";

/**
 * A secret that has expired or will: Azure DevOps' Rotate secret for an automatic connection, a new secret on the
 * application stored in a manual one, or (`--convert`) workload identity federation when the connection's tasks allow.
 */
export function secretPlan(f: Finding<CredentialEvidence>, { now, options, findings }: PlanContext): FixPlan | Unfixable {
  const { connection } = f;
  const base = planBase(f);
  if (!connection || !base.project) return lacking(f);
  const blocker = findings.find((other): other is Finding<TaskWithoutFederationEvidence> => other.kind === "task-without-federation" && other.connection?.id === connection.id);
  if (options.convert) return blocker ? notConvertible(f, blocker) : (convertPlan(f, connection, base.project) ?? lacking(f));
  const endpoint = `PUT {org}/${base.project}/_apis/serviceendpoint/endpoints/${connection.id}`;
  const before = f.evidence.credentials;
  if (f.evidence.creationMode === "Automatic") {
    const project = base.project;
    return { ...base, summary: `Rotate the secret of '${connection.name}' (Azure DevOps' Rotate secret: a new secret valid three months, the old one removed)`, steps: [{ call: `${endpoint}?operation=RotateSecret`, before, after: "a new client secret, stored in the connection", run: (t) => t.rotateSecret(project, connection.id) }] };
  }
  const objectId = f.application?.objectId;
  if (!objectId) return lacking(f);
  return { ...base, summary: `Add a client secret to the application of '${connection.name}' and store it in the connection`, steps: newSecretSteps(objectId, connection, base.project, endpoint, before, now) };
}

function newSecretSteps(objectId: string, connection: NonNullable<Finding["connection"]>, project: string, endpoint: string, before: unknown, now: Date): FixStep[] {
  const end = new Date(now.getTime() + 90 * DAY).toISOString();
  let added = { secret: "", keyId: "" };
  return [
    {
      call: `POST https://graph.microsoft.com/v1.0/applications/${objectId}/addPassword`,
      before,
      after: { displayName: `svcconn doctor fix ${connection.name}`, endDateTime: end },
      run: async (t) => {
        added = await t.addPassword(objectId, `svcconn doctor fix ${connection.name}`, end);
      },
      undo: (t) => t.removePassword(objectId, added.keyId),
    },
    { call: endpoint, before: { serviceprincipalkey: "(the expired secret)" }, after: { serviceprincipalkey: "(the new secret)" }, run: (t) => t.setConnectionSecret(project, connection.id, added.secret) },
  ];
}

/** Why a connection is not converted: the tasks its last run ran that cannot use federation, and where to move them. */
function notConvertible(f: Finding<CredentialEvidence>, blocker: Finding<TaskWithoutFederationEvidence>): Unfixable {
  const { tasks, run } = blocker.evidence;
  const moves = tasks.map((t) => (t.federationIn ? `${t.task} → ${t.federationIn}` : `${t.task} (no version supports it)`)).join(", ");
  return { findingId: f.id, reason: `not converted: the last run of ${run?.pipeline ?? "a pipeline"} that used it ran task versions without workload identity federation (${moves}); move those steps first, or rotate the secret instead (without --convert)` };
}

/** Secret → workload identity federation: Azure DevOps converts; a manual connection's application then trusts it. */
function convertPlan(f: Finding<CredentialEvidence>, connection: NonNullable<Finding["connection"]>, project: string): FixPlan | null {
  const base = planBase(f);
  let presented: { issuer: string | null; subject: string | null } = { issuer: null, subject: null };
  const convert: FixStep = {
    call: `PUT {org}/${project}/_apis/serviceendpoint/endpoints/${connection.id}?operation=ConvertAuthenticationScheme`,
    before: { scheme: "ServicePrincipal", credentials: f.evidence.credentials },
    after: { scheme: "WorkloadIdentityFederation", revertable: "for seven days (svcconn doctor revert)" },
    run: async (t) => {
      presented = await t.convertScheme(project, connection.id, "WorkloadIdentityFederation");
    },
    undo: async (t) => void (await t.convertScheme(project, connection.id, "ServicePrincipal")),
  };
  if (f.evidence.creationMode === "Automatic") {
    return { ...base, summary: `Convert '${connection.name}' to workload identity federation (Azure DevOps adds the federated credential to its application; revert within seven days)`, steps: [convert] };
  }
  const objectId = f.application?.objectId;
  if (!objectId) return null;
  const credential = { name: `azure-devops-${connection.id}`, audiences: ["api://AzureADTokenExchange"] };
  let credentialId = "";
  const trust: FixStep = {
    call: `POST https://graph.microsoft.com/v1.0/applications/${objectId}/federatedIdentityCredentials`,
    before: { federatedIdentityCredentials: "(as read by the scan)" },
    after: { name: credential.name, issuer: "(the issuer the converted connection shows)", subject: "(its subject: sc://{org}/{project}/{connection})", audiences: credential.audiences },
    run: async (t) => {
      if (!presented.issuer || !presented.subject) throw new Error("the converted connection shows no issuer and subject");
      credentialId = await t.addFederatedCredential(objectId, { ...credential, issuer: presented.issuer, subject: presented.subject });
    },
    undo: (t) => t.removeFederatedCredential(objectId, credentialId),
  };
  return { ...base, summary: `Convert '${connection.name}' to workload identity federation and add the federated credential it presents to its application (revert within seven days)`, steps: [convert, trust] };
}

export default defineFinding({
  kind: "secret-expired",
  severity: "critical",
  title: "Every client secret of the connection's application has expired",
  explanation: "secret-expired",
  fix: "Rotate the secret (Edit > Rotate secret, or az ad app credential reset), or convert the connection to workload identity federation.",
  check: (facts) => expired(facts, false),
  plan: secretPlan,
});
