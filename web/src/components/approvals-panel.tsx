import { Button, Field, Input, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle } from "@fluentui/react-components";
import { useState } from "react";
import { type Listed, projectApi } from "../api";
import { useLoad } from "../use-load";

interface Approval {
  id: string;
  status: string;
  instructions: string;
  minRequiredApprovers: number;
  steps: Array<{ assignedApprover: { displayName: string }; status: string }>;
  pipeline: { owner: { id: number } };
}

const VERSION = "7.1-preview.1";

/**
 * The approvals a run waits for, with Approve and Reject as Azure DevOps offers them on a run. The run page mounts
 * it again whenever the run's timeline changes, so a decision taken elsewhere shows here too.
 */
export function ApprovalsPanel({ buildId, onDecided }: { buildId: number; onDecided: () => void }) {
  const listed = useLoad((signal) => projectApi.get<Listed<Approval>>("pipelines/approvals", { state: "pending", $expand: "steps" }, VERSION, signal), [buildId]);
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
      await projectApi.send("PATCH", "pipelines/approvals", [{ approvalId: approval.id, status, comment }], undefined, VERSION);
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
