/**
 * Where exclusive locks and their queues live for every process sharing the store: a lock is held by one run
 * (under its process's lease, so a dead process's lock lapses), and each waiting run has its place by arrival.
 */
export interface LockStore {
  /** Takes the lock for `runId` when nobody holds it; true too when `runId` holds it already. */
  take(key: string, runId: number): Promise<boolean>;
  free(key: string, runId: number): Promise<void>;
  enqueue(key: string, runId: number): Promise<void>;
  leave(key: string, runId: number): Promise<void>;
  /** The runs waiting for the lock, oldest arrival first. */
  queue(key: string): Promise<number[]>;
}

/** How often a waiting stage looks again for a lock another process released. */
const RETRY_MS = 250;

const NEWER_WAITS = "A newer run is waiting for the same exclusive lock: this stage gave up its place.";
const CANCELED = "The run was canceled while it waited for an exclusive lock.";

/**
 * Exclusive locks on protected resources (the Exclusive Lock check): one run's stage at a time holds a resource;
 * the others wait in turn (`sequential`) or only the newest waits and older waiters give up (`runLatest`) — over
 * every process sharing the store. A release here wakes this process's waiters at once.
 */
export class ResourceLocks {
  private readonly wakers = new Map<string, Set<() => void>>();

  constructor(private readonly store: LockStore) {}

  /** Waits for the lock; resolves with its release, or rejects with why the stage gave up. */
  async acquire(key: string, runId: number, behavior: "sequential" | "runLatest", signal: AbortSignal): Promise<() => void> {
    const release = () => void this.store.free(key, runId).finally(() => this.wake(key));
    if ((await this.store.queue(key)).length === 0 && (await this.store.take(key, runId))) return release;
    await this.store.enqueue(key, runId);
    this.wake(key);
    try {
      for (;;) {
        if (signal.aborted) throw new Error(CANCELED);
        const queue = await this.store.queue(key);
        const at = queue.indexOf(runId);
        if (behavior === "runLatest" && at < queue.length - 1) throw new Error(NEWER_WAITS);
        if ((behavior === "runLatest" || at === 0) && (await this.store.take(key, runId))) return release;
        await this.sleep(key, signal);
      }
    } finally {
      await this.store.leave(key, runId);
      this.wake(key);
    }
  }

  /** Until a release or arrival here, RETRY_MS, or the run's cancel. */
  private sleep(key: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wakers = this.wakers.get(key) ?? new Set();
      this.wakers.set(key, wakers);
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, RETRY_MS);
      wakers.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private wake(key: string): void {
    for (const wake of [...(this.wakers.get(key) ?? [])]) wake();
  }
}
