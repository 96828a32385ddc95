interface Waiter {
  runId: number;
  grant: () => void;
  refuse: (message: string) => void;
}

/**
 * Exclusive locks on protected resources (the Exclusive Lock check): one run's stage at a time holds a resource;
 * the others wait in turn (`sequential`) or only the newest waits and older waiters give up (`runLatest`). Held in
 * this process, like the agent queue: runs do not outlive it.
 */
export class ResourceLocks {
  private readonly holders = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter[]>();

  /** Waits for the lock; resolves with its release, or rejects with why the stage gave up. */
  acquire(key: string, runId: number, behavior: "sequential" | "runLatest", signal: AbortSignal): Promise<() => void> {
    const release = () => this.release(key, runId);
    const holder = this.holders.get(key);
    if (holder === undefined || holder === runId) {
      this.holders.set(key, runId);
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const queue = this.waiters.get(key) ?? [];
      if (behavior === "runLatest") for (const older of queue.splice(0)) older.refuse("A newer run is waiting for the same exclusive lock: this stage gave up its place.");
      const waiter: Waiter = {
        runId,
        grant: () => resolve(release),
        refuse: (message) => reject(new Error(message)),
      };
      queue.push(waiter);
      this.waiters.set(key, queue);
      signal.addEventListener("abort", () => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        waiter.refuse("The run was canceled while it waited for an exclusive lock.");
      }, { once: true });
    });
  }

  private release(key: string, runId: number): void {
    if (this.holders.get(key) !== runId) return;
    const next = this.waiters.get(key)?.shift();
    if (!next) {
      this.holders.delete(key);
      return;
    }
    this.holders.set(key, next.runId);
    next.grant();
  }
}
