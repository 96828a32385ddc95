import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logging.js";
import type { Store } from "../store/index.js";
import type { CompiledJob, CompiledPipeline, CompiledStage } from "./compile/compiler.js";
import { newTimelineRecord, type RecordResult, type Run, type TimelineRecord } from "./model.js";
import { RunLogWriter } from "./run-logs.js";

const FLUSH_MS = 250;
/** Output not yet stored beyond which steps wait for the store (four urgent flushes' worth). */
const LOG_BACKLOG_BYTES = 1024 * 1024;

/** The timeline records of each stage and job of a plan: a Stage, a Phase per job, a Job per leg. */
export type PlannedRecords = Map<CompiledStage | CompiledJob, { stage?: TimelineRecord; phase?: TimelineRecord; legs: TimelineRecord[] }>;

/**
 * What a run leaves to be read while and after it runs: its timeline and its logs, saved to the store in batches
 * (every 250 ms, or at once when a step's output piles up) — the agent's job server does the same.
 */
export class RunRecorder {
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private urgentQueued = false;
  private readonly logs: RunLogWriter;
  private stampMs = -1;
  private stamp = "";
  /** Set once svcconn hands the run over: what is stored stays as it was then. */
  private frozen: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly run: Run,
  ) {
    this.logs = new RunLogWriter(store.pipelines, run.id, this.now, (urgent) => this.changed(urgent));
  }

  private now = () => this.clock.now().toISOString();

  /**
   * The plan's records, pending from the start as on Azure Pipelines: a Job record per leg of each phase. A run
   * taken over keeps the records it has.
   */
  planRecords(compiled: CompiledPipeline): PlannedRecords {
    const out: PlannedRecords = new Map();
    const existing = new Map(this.run.timeline.map((r) => [`${r.type}:${r.identifier}`, r]));
    const record = (r: Partial<TimelineRecord> & Pick<TimelineRecord, "type" | "name">) => existing.get(`${r.type}:${r.identifier}`) ?? this.add(r);
    for (const [si, stage] of compiled.stages.entries()) {
      const s = record({ type: "Stage", name: stage.displayName, identifier: stage.name, order: si + 1 });
      out.set(stage, { stage: s, legs: [] });
      for (const [ji, job] of stage.jobs.entries()) {
        const phase = record({ type: "Phase", name: job.displayName, identifier: `${stage.name}.${job.name}`, order: ji + 1, parentId: s.id });
        const legs = job.legs.map((leg, li) => record({ type: "Job", name: leg.name ? `${job.displayName} ${leg.name}` : job.displayName, identifier: `${stage.name}.${job.name}.${leg.name ?? "__default"}`, order: li + 1, parentId: phase.id }));
        out.set(job, { phase, legs });
      }
    }
    return out;
  }

  /** A new record in the run's timeline. */
  add(r: Partial<TimelineRecord> & Pick<TimelineRecord, "type" | "name">): TimelineRecord {
    const full = newTimelineRecord(r);
    this.run.timeline.push(full);
    return full;
  }

  upsert(r: TimelineRecord): void {
    const i = this.run.timeline.findIndex((x) => x.id === r.id);
    if (i >= 0) this.run.timeline[i] = r;
    else this.run.timeline.push(r);
    this.changed();
  }

  complete(records: Array<TimelineRecord | undefined>, result: RecordResult): void {
    for (const r of records) if (r) Object.assign(r, { state: "completed", result, finishTime: r.startTime ? this.now() : r.finishTime, currentOperation: null });
    this.changed();
  }

  /** A new log, under `parent` (a step's log under its job's). */
  newLog(parent?: number | null): number {
    return this.logs.newLog(parent ?? null);
  }

  /** Lines come in bursts: the time is read once per millisecond, not once per line. */
  append(logId: number | null, line: string): void {
    if (this.frozen) return;
    const ms = this.clock.nowMs();
    if (ms !== this.stampMs) {
      this.stampMs = ms;
      this.stamp = new Date(ms).toISOString();
    }
    this.logs.append(logId, line, this.stamp);
  }

  /** A store slower than a step's output holds the step back rather than svcconn's memory growing. */
  backlog(): Promise<void> | undefined {
    return this.logs.backlogBytes > LOG_BACKLOG_BYTES ? this.flushNow() : undefined;
  }

  changed(urgent = false): void {
    if (this.frozen) return;
    if (urgent && !this.urgentQueued) {
      this.urgentQueued = true;
      void this.flushNow().finally(() => {
        this.urgentQueued = false;
      });
      return;
    }
    this.flushTimer ??= setTimeout(() => void this.flushNow(), FLUSH_MS);
  }

  /** Flushes run one at a time: an urgent one (too many lines pending) starts as soon as the current one ends. */
  private flushNow(): Promise<void> {
    const current = (this.flushing ?? Promise.resolve()).then(() => this.flush()).catch((err) => this.logger.error({ err }, "cannot save a run"));
    this.flushing = current;
    void current.finally(() => {
      if (this.flushing === current) this.flushing = undefined;
    });
    return current;
  }

  async flush(): Promise<void> {
    if (this.frozen) return this.frozen;
    this.flushTimer = undefined;
    await this.store.pipelines.updateRun(this.run);
    await this.logs.flush();
  }

  /**
   * Saves the run as it is at this instant — a copy, since stopping its jobs changes it next — with the lines logged
   * so far, and nothing after: the process that takes the run over goes on from there.
   */
  freeze(): Promise<void> {
    if (this.frozen) return this.frozen;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    const asItIs = structuredClone(this.run);
    const previous = this.flushing;
    this.frozen = (async () => {
      await previous;
      await this.store.pipelines.updateRun(asItIs);
      await this.logs.flush();
    })();
    return this.frozen;
  }

  /** The run has ended: what is pending is saved, after any flush under way. */
  async close(): Promise<void> {
    if (this.frozen) return this.frozen;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushing;
    await this.flush();
  }
}
