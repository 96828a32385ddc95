import { Badge, Button, MessageBar, MessageBarBody, MessageBarTitle, Spinner, Text, Title2, makeStyles, tokens } from "@fluentui/react-components";
import { ErrorBar } from "../components/error-bar";
import { useCallback, useEffect, useState } from "react";
import { type Build, type PermittedResource, pipelines, type TimelineRecord } from "../api/pipelines";
import { serviceEndpoints } from "../api/service-endpoints";
import { useLoad } from "../use-load";
import { ApprovalsPanel } from "../components/approvals-panel";
import { ExplanationView } from "../components/explanation";
import { pageUrls } from "../router";
import { navigate } from "../router";

const useStyles = makeStyles({
  layout: { display: "grid", gridTemplateColumns: "minmax(240px, 320px) 1fr", gap: "20px", marginTop: "12px" },
  records: { listStyle: "none", padding: 0, margin: 0 },
  issueLine: { display: "block" },
  // The log wraps and grows with the page: a scrolling box of its own would need the keyboard focus.
  log: { background: tokens.colorNeutralBackground3, padding: "12px", fontFamily: tokens.fontFamilyMonospace, fontSize: "12px", whiteSpace: "pre-wrap", overflowWrap: "anywhere", margin: 0 },
});

/** A resource a run needs permission for: a service connection, a variable group or an environment, by name. */
interface NeededResource {
  kind: "Service connection" | "Variable group" | "Environment";
  name: string;
}

/** The run-time wait for resources the pipeline may not use yet (the Checkpoint.Authorization record's text). */
const PERMISSION = /(Service connection|Variable group|Environment): ([^.]+)\./g;
/** The compile-time refusals of a connection or a group the pipeline may not use (or that does not exist). */
const NOT_AUTHORIZED = /references (?:service connection|endpoint) (.+?) which (?:could not be found|does not exist)|Variable group (.+?) could not be found|Environment (.+?) could not be found/g;

const nameResources = (resources: NeededResource[]) => resources.map((r) => `${r.kind}: ${r.name}`).join("; ");

/**
 * The run and its timeline, read again every second until the run completes (and on `reload`). Leaving the page or
 * reloading aborts the read in flight and stops the loop that read it.
 */
function useRun(buildId: number) {
  const [state, setState] = useState<{ build?: Build; records: TimelineRecord[]; error?: string }>({ records: [] });
  const [round, setRound] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` is what asks for a new read.
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const build = await pipelines.build(buildId, controller.signal);
        const timeline = await pipelines.timeline(buildId, controller.signal).catch(() => null);
        if (controller.signal.aborted) return;
        setState({ build, records: (timeline?.records ?? []).sort((a, z) => (a.order ?? 0) - (z.order ?? 0)) });
        if (build.status !== "completed") timer = setTimeout(tick, 1000);
      } catch (e) {
        if (!controller.signal.aborted) setState((s) => ({ ...s, error: (e as Error).message }));
      }
    };
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [buildId, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}

export function RunPage({ buildId }: { buildId: number }) {
  const styles = useStyles();
  const { build, records, error: readError, reload } = useRun(buildId);
  const [selected, setSelected] = useState<string>();
  const [failure, setError] = useState<string>();
  const error = failure ?? readError;
  const [permitting, setPermitting] = useState(false);

  // Read again as the run goes on (the records change); a read replaced by the next one is aborted.
  const logId = records.find((r) => r.id === selected)?.log?.id;
  const loadedLog = useLoad(logId === undefined ? undefined : (signal) => pipelines.log(buildId, logId, signal), [logId, records, buildId]);
  const log = logId === undefined ? undefined : (loadedLog.data?.value.join("\n") ?? loadedLog.error);

  if (error) return <ErrorBar message={error} />;
  if (!build) return <Spinner label="Loading the run" />;

  const waiting = records.find((r) => r.type === "Checkpoint.Authorization" && r.state !== "completed");
  const waitingFor: NeededResource[] = (waiting?.issues ?? []).flatMap((i) =>
    [...i.message.matchAll(PERMISSION)].flatMap((m) => m[2]!.split(",").map((name) => ({ kind: m[1] as NeededResource["kind"], name: name.trim() }))),
  );
  const validation = (build.validationResults ?? []).filter((v) => v.result === "error");
  // A failed step's errors are read together, as one failure: the task's closing lines ("Task failed…", a pointer to a
  // troubleshooting guide) say nothing on their own, the line before them does.
  const failures: Array<{ record: string; messages: string[]; task?: string }> = [
    ...(validation.length ? [{ record: "Validation", messages: validation.map((v) => v.message) }] : []),
    ...records
      .map((r) => ({ record: r.name, messages: (r.issues ?? []).filter((i) => i.type === "error").map((i) => i.message), task: r.task ? `${r.task.name}@${r.task.version}` : undefined }))
      .filter((f) => f.messages.length > 0),
  ];

  const refused: NeededResource[] = validation
    .flatMap((v) => [...v.message.matchAll(NOT_AUTHORIZED)].map((m): NeededResource => (m[1] !== undefined ? { kind: "Service connection", name: m[1] } : m[2] !== undefined ? { kind: "Variable group", name: m[2] } : { kind: "Environment", name: m[3]! })))
    .filter((r, i, all) => all.findIndex((o) => o.kind === r.kind && o.name === r.name) === i);
  /** Permits this pipeline on the named connections and groups (the ones that exist); false when none could be. */
  const authorize = async (resources: NeededResource[]) => {
    const permitOne = (type: PermittedResource, id: string | number) => pipelines.setPermissions(type, String(id), { pipelines: [{ id: build.definition.id, authorized: true }] });
    let permitted = 0;
    const connections = resources.filter((r) => r.kind === "Service connection").map((r) => r.name);
    if (connections.length) {
      const found = await serviceEndpoints.byNames(connections);
      for (const e of found.value) await permitOne("endpoint", e.id);
      permitted += found.value.length;
    }
    for (const group of resources.filter((r) => r.kind === "Variable group")) {
      const found = await pipelines.variableGroupsNamed(group.name);
      for (const g of found.value) await permitOne("variablegroup", g.id);
      permitted += found.value.length;
    }
    for (const environment of resources.filter((r) => r.kind === "Environment")) {
      const found = await pipelines.environmentsNamed(environment.name);
      for (const e of found.value) await permitOne("environment", e.id);
      permitted += found.value.length;
    }
    return permitted > 0;
  };
  const permit = async () => {
    setPermitting(true);
    try {
      await authorize(waitingFor);
      reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setPermitting(false);
    }
  };
  // A run refused at validation cannot go on: authorize, then queue the pipeline again and follow the new run.
  const authorizeAndRunAgain = async () => {
    setPermitting(true);
    try {
      if (!(await authorize(refused))) throw new Error(`Nothing named ${nameResources(refused)} exists in this project: create it, or fix the name in the YAML.`);
      const next = await pipelines.run(build.definition.id);
      navigate(pageUrls.run(next.id));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setPermitting(false);
    }
  };

  // As Azure DevOps' run page: stages, jobs and steps — a pipeline without stages shows no stage (its implicit
  // `__default`), and a job is shown once (its Phase record groups its legs).
  const shown = (r: TimelineRecord) => !r.type.startsWith("Checkpoint") && r.type !== "Phase" && !(r.type === "Stage" && r.identifier === "__default");
  const depth = (r: TimelineRecord): number => {
    const parent = records.find((p) => p.id === r.parentId);
    return parent ? depth(parent) + (shown(parent) ? 1 : 0) : 0;
  };
  const color = (r: TimelineRecord) => (r.result === "failed" ? "danger" : r.result === "succeeded" ? "success" : r.state === "inProgress" ? "informative" : "subtle");

  return (
    <section aria-labelledby="run-title">
      <Title2 as="h1" id="run-title">
        {build.definition.name} · {build.buildNumber}
      </Title2>
      <Text as="p" block>
        Status: <Badge color={build.result === "failed" ? "danger" : build.result === "succeeded" ? "success" : "informative"}>{build.result ?? build.status}</Badge>
      </Text>
      {waitingFor.length > 0 && (
        <MessageBar intent="warning">
          <MessageBarBody>
            <MessageBarTitle>This pipeline needs permission to access a resource before this run can continue</MessageBarTitle>
            {nameResources(waitingFor)}
          </MessageBarBody>
          <Button appearance="primary" disabled={permitting} onClick={() => void permit()}>
            Permit
          </Button>
        </MessageBar>
      )}
      {records.some((r) => r.type === "Checkpoint.Approval" && r.state !== "completed") && (
        <ApprovalsPanel key={records.map((r) => `${r.id}:${r.state}`).join(",")} buildId={build.id} onDecided={reload} />
      )}
      {records
        .filter((r) => r.type === "Job" && r.state === "pending" && r.currentOperation)
        .map((r) => (
          <MessageBar key={r.id} intent="info">
            <MessageBarBody>
              <MessageBarTitle>{r.name}: waiting for an available agent</MessageBarTitle>
              {r.currentOperation}
            </MessageBarBody>
          </MessageBar>
        ))}
      {refused.length > 0 && (
        <MessageBar intent="warning">
          <MessageBarBody>
            <MessageBarTitle>There was a resource authorization issue</MessageBarTitle>
            The pipeline may not use: {nameResources(refused)}.
          </MessageBarBody>
          <Button appearance="primary" disabled={permitting} onClick={() => void authorizeAndRunAgain()}>
            Authorize resources and run again
          </Button>
        </MessageBar>
      )}
      {failures.map((f) => (
        <div key={f.record} data-testid="run-issue">
          <MessageBar intent="error">
            <MessageBarBody>
              <MessageBarTitle>{f.record}</MessageBarTitle>
              {f.messages.map((m) => (
                <span key={m} className={styles.issueLine}>
                  {m}
                </span>
              ))}
            </MessageBarBody>
          </MessageBar>
          <ExplanationView text={f.messages.join("\n")} task={f.task} />
        </div>
      ))}
      <div className={styles.layout}>
        <nav aria-label="Stages, jobs and steps">
          <ul className={styles.records}>
            {records
              .filter(shown)
              .map((r) => (
                <li key={r.id} style={{ paddingLeft: depth(r) * 16 }}>
                  <Button appearance={selected === r.id ? "primary" : "subtle"} size="small" onClick={() => setSelected(r.id)} aria-pressed={selected === r.id}>
                    {r.name}
                  </Button>{" "}
                  <Badge size="small" color={color(r)}>
                    {r.result ?? r.state}
                  </Badge>
                </li>
              ))}
          </ul>
        </nav>
        <section aria-label="Log">{log !== undefined ? <pre className={styles.log}>{log}</pre> : <Text>Select a step to read its log.</Text>}</section>
      </div>
    </section>
  );
}
