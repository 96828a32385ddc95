import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { TEMPLATE_TEXTS } from "./budget.js";
import type { CompileAnswer, CompileJob } from "./compile-worker.js";
import type { CompiledPipeline } from "./compiler.js";
import { CompileError } from "./yaml-tree.js";

export type CompileRequest = Omit<CompileJob, "id">;

interface Pending {
  job: CompileJob;
  resolve: (compiled: CompiledPipeline) => void;
  reject: (error: Error) => void;
}

/** A compile that runs longer than this is ended (its budget should have stopped it long before). */
const COMPILE_TIMEOUT_MS = 20_000;
/** Heap a compile thread may use: a pipeline within Azure's limits needs far less. */
const COMPILE_HEAP_MB = 384;
/** Compiles waiting beyond this many are refused at once rather than queued. */
const MAX_WAITING = 100;

const fromSource = import.meta.url.endsWith(".ts");

/**
 * Compile threads: at most `size` compiles at a time, each in a worker with a heap limit and a deadline, so no
 * pipeline — however large, deep or expensive — can stop the listeners or exhaust svcconn's memory. A worker that
 * runs out of memory or time is replaced.
 */
export class CompilePool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, { pending: Pending; timer: NodeJS.Timeout }>();
  private readonly waiting: Pending[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly size = 2) {}

  compile(request: CompileRequest): Promise<CompiledPipeline> {
    if (this.closed) return Promise.reject(new Error("svcconn is stopping"));
    if (this.waiting.length >= MAX_WAITING) return Promise.reject(new CompileError("Too many pipelines are compiling on this svcconn at once; queue the run again in a moment."));
    return new Promise((resolve, reject) => {
      this.waiting.push({ job: { ...request, id: ++this.nextId }, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.reject(new Error("svcconn is stopping"));
    const workers = [...this.idle.splice(0), ...this.busy.keys()];
    for (const { pending, timer } of this.busy.values()) {
      clearTimeout(timer);
      pending.reject(new Error("svcconn is stopping"));
    }
    this.busy.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length && (this.idle.length || this.busy.size < this.size)) {
      const worker = this.idle.pop() ?? this.spawn();
      const pending = this.waiting.shift()!;
      const timer = setTimeout(() => this.fail(worker, new CompileError(TEMPLATE_TEXTS.events)), COMPILE_TIMEOUT_MS);
      this.busy.set(worker, { pending, timer });
      worker.ref();
      worker.postMessage(pending.job);
    }
  }

  private spawn(): Worker {
    const file = join(dirname(fileURLToPath(import.meta.url)), `compile-worker${fromSource ? ".ts" : ".js"}`);
    const resourceLimits = { maxOldGenerationSizeMb: COMPILE_HEAP_MB, maxYoungGenerationSizeMb: 32 };
    // From source (tests), the worker registers tsx before loading the TypeScript module (loader flags do not reach workers).
    const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "esm", "api", "index.mjs")).href;
    const worker = fromSource
      ? new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(pathToFileURL(file).href)}); });`, { eval: true, resourceLimits })
      : new Worker(file, { resourceLimits });
    worker.on("message", (answer: CompileAnswer) => this.answer(worker, answer));
    // Out of memory or a crash: the compile fails with the size limit's text, and the worker is replaced.
    worker.on("error", () => this.fail(worker, new CompileError(TEMPLATE_TEXTS.size)));
    worker.on("exit", () => this.fail(worker, new CompileError(TEMPLATE_TEXTS.size)));
    return worker;
  }

  private answer(worker: Worker, answer: CompileAnswer): void {
    const current = this.busy.get(worker);
    if (!current || current.pending.job.id !== answer.id) return;
    clearTimeout(current.timer);
    this.busy.delete(worker);
    worker.unref();
    this.idle.push(worker);
    if ("compiled" in answer) current.pending.resolve(answer.compiled);
    else if ("error" in answer) current.pending.reject(new CompileError(answer.error.reason, answer.error.pos));
    else current.pending.reject(new Error(`the pipeline could not be compiled: ${answer.crash}`));
    this.dispatch();
  }

  private fail(worker: Worker, error: Error): void {
    const current = this.busy.get(worker);
    this.busy.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    if (current) {
      clearTimeout(current.timer);
      current.pending.reject(error);
    }
    void worker.terminate();
    if (!this.closed) this.dispatch();
  }
}
