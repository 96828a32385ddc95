import {
  Body1,
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
  Field,
  MessageBar,
  MessageBarBody,
  Select,
  Spinner,
  Textarea,
  Title2,
  Title3,
  makeStyles,
} from "@fluentui/react-components";
import { SimpleTable } from "../components/simple-table";
import { ErrorBar } from "../components/error-bar";
import { useState } from "react";
import { doctor, type FixAnswer, type Finding, type ScanReport as Report } from "../api/svcconn";
import { PageLink } from "../components/page-link";
import { pageUrls } from "../router";
import { accessToken } from "../auth";
import { ExplanationView } from "../components/explanation";
import { config } from "../config";
import type { Explanation } from "../model";

const useStyles = makeStyles({ section: { display: "flex", flexDirection: "column", gap: "10px", maxWidth: "960px", marginBottom: "32px" } });

/** Paste any error and read the doctor's diagnosis; scan the project's connections for what will break. */
/** The scan reads Graph and ARM as the person: their own tokens, from the same sign-in. */
async function personsTokens(): Promise<{ graph?: string; arm?: string }> {
  const graph = await accessToken(config.graphScope).catch(() => undefined);
  const arm = await accessToken(config.armScope).catch(() => undefined);
  return { graph, arm };
}

export function DoctorPage() {
  const styles = useStyles();
  const [text, setText] = useState("");
  const [scheme, setScheme] = useState("");
  const [explanation, setExplanation] = useState<Explanation>();
  const [explainError, setExplainError] = useState<string>();
  const [report, setReport] = useState<Report>();
  const [scanning, setScanning] = useState(false);
  const [scanError, setScanError] = useState<string>();

  const runExplain = () => {
    setExplainError(undefined);
    doctor
      .explain(text, { scheme })
      .then(setExplanation)
      .catch((e: Error) => setExplainError(e.message));
  };
  const runScan = async () => {
    setScanning(true);
    setScanError(undefined);
    try {
      setReport(await doctor.scan(await personsTokens()));
    } catch (e) {
      setScanError((e as Error).message);
    } finally {
      setScanning(false);
    }
  };

  return (
    <>
      <section className={styles.section} aria-labelledby="explain-title">
        <Title2 as="h1" id="explain-title">
          Explain an error
        </Title2>
        <Field label="Error text" hint="Paste an error or a whole task log (its header names the task and version): an AADSTS message, an ARM error — anything.">
          <Textarea resize="vertical" rows={5} value={text} onChange={(_e, d) => setText(d.value)} />
        </Field>
        <Field label="The connection's scheme, if you know it">
          <Select value={scheme} onChange={(_e, d) => setScheme(d.value)}>
            <option value="">Not known</option>
            <option value="secret">Service principal with a secret</option>
            <option value="certificate">Service principal with a certificate</option>
            <option value="workload-identity-federation">Workload identity federation</option>
            <option value="managed-identity">Managed identity</option>
          </Select>
        </Field>
        <Button appearance="primary" disabled={!text.trim()} onClick={runExplain} style={{ alignSelf: "start" }}>
          Explain
        </Button>
        <ErrorBar message={explainError} />
        {explanation && <ExplanationView key={JSON.stringify(explanation)} explanation={explanation} />}
      </section>
      <section className={styles.section} aria-labelledby="scan-title">
        <Title3 as="h2" id="scan-title">
          Scan this project's service connections
        </Title3>
        <Button disabled={scanning} onClick={() => void runScan()} style={{ alignSelf: "start" }}>
          {scanning ? "Scanning…" : "Scan"}
        </Button>
        {scanning && <Spinner size="tiny" label="Reading Azure DevOps, Microsoft Graph and Azure Resource Manager" />}
        <ErrorBar message={scanError} />
        {report && (
          <SimpleTable
            label="Findings"
            columns={["Severity", "Connection", "Finding", "Fix"]}
            rows={[...report.connections.flatMap((c) => c.findings), ...report.other]}
            rowKey={(f) => f.id}
            cells={(f) => [
              f.severity,
              f.connection ? <PageLink key="connection" href={pageUrls.connection(f.connection.id)}>{f.connection.name}</PageLink> : (f.application?.displayName ?? f.application?.appId ?? "—"),
              f.title,
              <>
                {f.fix} <FixButton finding={f} onFixed={() => void runScan()} />
              </>,
            ]}
          />
        )}
        {report?.connections.every((c) => c.findings.length === 0) && report.other.length === 0 && (
          <MessageBar intent="success">
            <MessageBarBody>No findings: nothing here will break soon.</MessageBarBody>
          </MessageBar>
        )}
        {report?.partial && (
          <MessageBar intent="warning">
            <MessageBarBody>
              The scan is incomplete: {report.notEvaluated.map((n) => `${n.connection}: ${n.check} (${n.reason})`).join("; ")}
            </MessageBarBody>
          </MessageBar>
        )}
      </section>
    </>
  );
}

/** The doctor's fix for one finding: its plan first (every call, with before and after), then Apply. */
function FixButton({ finding, onFixed }: { finding: Finding; onFixed: () => void }) {
  const [open, setOpen] = useState(false);
  const [answer, setAnswer] = useState<FixAnswer>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ask = async (apply: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await doctor.fix(finding.id, apply, await personsTokens());
      setAnswer(result);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const plan = answer?.plans[0];
  const outcome = answer?.outcomes?.[0];
  return (
    <Dialog
      open={open}
      onOpenChange={(_e, d) => {
        setOpen(d.open);
        if (d.open && !answer) void ask(false);
        // The scan is read again once the dialog has closed: its row (and this dialog) may then go away.
        if (!d.open && answer?.outcomes?.some((o) => o.status === "fixed")) onFixed();
      }}
    >
      <DialogTrigger disableButtonEnhancement>
        <Button size="small" aria-label={`Fix ${finding.title}${finding.connection ? ` for ${finding.connection.name}` : ""}`}>
          Fix…
        </Button>
      </DialogTrigger>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Fix: {finding.title}</DialogTitle>
          <DialogContent>
            {busy && <Spinner size="tiny" label={outcome ? "Applying" : "Planning"} />}
            <ErrorBar message={error} />
            {answer?.unfixable.map((u) => (
              <MessageBar key={u.findingId} intent="info">
                <MessageBarBody>No automatic fix: {u.reason}</MessageBarBody>
              </MessageBar>
            ))}
            {plan && (
              <>
                <Body1 as="p">{plan.summary}</Body1>
                <ol data-testid="fix-plan">
                  {plan.steps.map((step) => (
                    <li key={step.call}>
                      <code>{step.call}</code>
                    </li>
                  ))}
                </ol>
              </>
            )}
            {outcome && (
              <MessageBar intent={outcome.status === "fixed" ? "success" : "error"}>
                <MessageBarBody role="status" data-testid="fix-outcome">
                  {outcome.status === "fixed" ? "Fixed: a new scan no longer finds it." : `Not fixed (${outcome.status}${outcome.rollback ? `, ${outcome.rollback}` : ""}): ${outcome.message ?? ""}`}
                </MessageBarBody>
              </MessageBar>
            )}
          </DialogContent>
          <DialogActions>
            {plan && !outcome && (
              <Button appearance="primary" disabled={busy} onClick={() => void ask(true)}>
                Apply
              </Button>
            )}
            <DialogTrigger disableButtonEnhancement>
              <Button>Close</Button>
            </DialogTrigger>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
