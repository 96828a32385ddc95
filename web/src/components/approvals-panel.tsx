import { Button, Field, Input, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle } from "@fluentui/react-components";
import { useState } from "react";
import { type Approval, pipelines } from "../api/pipelines";
import { useLoad } from "../use-load";

/**
 * The approvals a run waits for, with Approve and Reject as Azure DevOps offers them on a run. The run page mounts
 * it again whenever the run's timeline changes, so a decision taken elsewhere shows here too.
 */
export function ApprovalsPanel({ buildId, onDecided }: { buildId: number; onDecided: () => void }) {
  const listed = useLoad((signal) => pipelines.pendingApprovals(signal), [buildId]);
  // Decided here: gone at once, before the run page mounts the panel again.
  const [decided, setDecided] = useState<string[]>([]);
  const pending = (listed.data?.value ?? []).filter((a) => a.pipeline.owner.id === buildId && !decided.includes(a.id));
  const [comment, setComment] = useState("");
  const [failure, setError] = useState<string>();
  const error = failure ?? listed.error;
  const [busy, setBusy] = useState(false);

  const decide = async (approval: Approval, status: "approved" | "rejected") => {
    setBusy(true);
    setError(undefined);
    try {
      await pipelines.decide(approval.id, status, comment);
      setDecided((ids) => [...ids, approval.id]);
      onDecided();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {pending.map((approval) => (
        <MessageBar key={approval.id} intent="warning" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>An approval needs review before this run can continue</MessageBarTitle>
            Approvers: {approval.steps.map((s) => `${s.assignedApprover.displayName} (${s.status})`).join(", ")}
            {approval.minRequiredApprovers > 0 ? ` — ${approval.minRequiredApprovers} must approve.` : " — all must approve."}
            {approval.instructions && <p>{approval.instructions}</p>}
            <Field label="Comment">
              <Input value={comment} onChange={(_e, d) => setComment(d.value)} />
            </Field>
            {error && <p role="alert">{error}</p>}
          </MessageBarBody>
          <MessageBarActions>
            <Button appearance="primary" disabled={busy} onClick={() => void decide(approval, "approved")}>
              Approve
            </Button>
            <Button disabled={busy} onClick={() => void decide(approval, "rejected")}>
              Reject
            </Button>
          </MessageBarActions>
        </MessageBar>
      ))}
    </>
  );
}
