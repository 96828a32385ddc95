import type { Store } from "../store/index.js";
import type { RunLog } from "./model.js";

type LogStore = Store["pipelines"];

/** Lines pending in memory for all of a run's logs beyond which they are written at once. */
const PENDING_BYTES = 256 * 1024;
/**
 * The most a stored page holds: under V8's large-object size (128 KB), so the strings a page becomes when it is
 * written and read are collected young instead of piling up until a full collection.
 */
const PAGE_BYTES = 96 * 1024;

interface OpenLog {
  meta: RunLog;
  pending: string[];
  page: number;
  dirty: boolean;
}

/**
 * A run's logs as they are written: each line goes to its step's log only (a job's log is read as its steps'
 * logs, never stored twice), lines are kept until the next flush and then appended as a page, so memory holds only
 * what was written since the last flush and no log is ever rewritten whole.
 */
export class RunLogWriter {
  private readonly logs = new Map<number, OpenLog>();
  private nextId = 0;
  private pendingBytes = 0;

  constructor(
    private readonly store: LogStore,
    private readonly runId: number,
    private readonly now: () => string,
    /** Asks for a flush soon (the service's timer), or at once when `urgent` (too much is pending). */
    private readonly changed: (urgent: boolean) => void,
  ) {}

  /** What is written but not yet stored. */
  get backlogBytes(): number {
    return this.pendingBytes;
  }

  /** A new log; a step's log names its job's log as `parentId`. */
  newLog(parentId: number | null = null): number {
    const id = ++this.nextId;
    const at = this.now();
    this.logs.set(id, { meta: { runId: this.runId, id, lineCount: 0, createdOn: at, lastChangedOn: at, parentId }, pending: [], page: 0, dirty: true });
    this.changed(false);
    return id;
  }

  /** One line (masked) for a log, stamped with `at` (ISO); its job's log counts it too. */
  append(logId: number | null, line: string, at: string): void {
    const log = logId === null ? undefined : this.logs.get(logId);
    if (!log) return;
    const stamped = `${at.slice(0, -1)}0000Z ${line}`;
    log.pending.push(stamped);
    this.pendingBytes += stamped.length;
    for (const l of [log, log.meta.parentId === null ? undefined : this.logs.get(log.meta.parentId)]) {
      if (!l) continue;
      l.meta.lineCount++;
      l.meta.lastChangedOn = at;
      l.dirty = true;
    }
    this.changed(this.pendingBytes > PENDING_BYTES);
  }

  /** Writes what is pending: a new page per log that grew, and the logs' descriptions. */
  async flush(): Promise<void> {
    for (const log of this.logs.values()) {
      if (log.pending.length) {
        const lines = log.pending;
        log.pending = [];
        this.pendingBytes -= lines.reduce((n, l) => n + l.length, 0);
        // Lines that piled up during a slow write become several pages: a page stays small to write and to read.
        for (const page of pages(lines)) await this.store.appendLogPage(this.runId, log.meta.id, ++log.page, page.length, page.join("\n"));
      }
      if (log.dirty) {
        log.dirty = false;
        await this.store.putLog({ ...log.meta });
      }
    }
  }
}

/**
 * A log's lines from `start` to `end` (1-based, inclusive), a page at a time (each batch is one page's lines in
 * range): a job's log is its steps' logs in order; a log written before pages existed is read from its own text.
 */
export async function* readLogLines(store: LogStore, log: RunLog, all: RunLog[], start = 1, end = Number.POSITIVE_INFINITY): AsyncGenerator<string[]> {
  const legacy = await store.legacyLogContent(log.runId, log.id);
  if (legacy) {
    yield legacy.split("\n").slice(Math.max(start, 1) - 1, end);
    return;
  }
  const parts = all.filter((l) => l.parentId === log.id);
  let line = 0;
  for (const part of parts.length ? parts : [log]) {
    for (const { page, lineCount } of await store.logPageSizes(part.runId, part.id)) {
      if (line >= end) return;
      if (line + lineCount < start) {
        line += lineCount;
        continue;
      }
      const lines = ((await store.logPage(part.runId, part.id, page)) ?? "").split("\n");
      const from = Math.max(start - line - 1, 0);
      const to = Math.min(end - line, lines.length);
      line += lines.length;
      yield from === 0 && to === lines.length ? lines : lines.slice(from, to);
    }
  }
}

/** Lines in runs of at most PAGE_BYTES (a longer line is a page of its own). */
function* pages(lines: string[]): Generator<string[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    if (i > start && bytes + lines[i]!.length > PAGE_BYTES) {
      yield lines.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += lines[i]!.length;
  }
  if (start < lines.length) yield lines.slice(start);
}
