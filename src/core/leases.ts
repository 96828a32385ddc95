import { randomUUID } from "node:crypto";
import type { Logger } from "./logging.js";

/**
 * Work under way that one process holds: a run, an automatic creation. Like the Azure Pipelines agent's job
 * request (`LockedUntil`, renewed every 60 s), the holder renews its leases; a process that stops renewing loses
 * its work to whichever process is alive, which takes it over (resumes or ends it) from what is stored.
 */
export interface HeldOperation {
  kind: OperationKind;
  id: string;
  owner: string;
  /** Real time in ms, not svcconn's movable clock: liveness is about processes, not the world's time. */
  leaseUntil: number;
  /** What a taker needs beyond the stored state (JSON; secrets sealed by the caller). */
  body: string;
}

/**
 * A run, an automatic creation, a parallel job or self-hosted agent in use (`agent`), an exclusive lock held by a
 * run (`lock`) or a run's place in a lock's queue (`lock-wait`).
 */
export type OperationKind = "run" | "creation" | "agent" | "lock" | "lock-wait";

/** Where leases live (the store). Every change is one conditional statement, so processes cannot both win. */
export interface LeaseStore {
  hold(op: HeldOperation): Promise<void>;
  /** Holds it only if nobody does: false when another process (or this one) holds it already. */
  holdIfFree(op: HeldOperation): Promise<boolean>;
  setBody(kind: OperationKind, id: string, owner: string, body: string): Promise<void>;
  release(kind: OperationKind, id: string, owner: string): Promise<void>;
  /** Gives the work up as it stands: no owner, lapsed, for the next process that looks. */
  giveUp(kind: OperationKind, id: string, owner: string): Promise<void>;
  renew(owner: string, leaseUntil: number): Promise<void>;
  /** Leases not held by `owner` that ended before `now` (every one not held by `owner` when `now` is Infinity). */
  lapsed(owner: string, now: number): Promise<HeldOperation[]>;
  /** Takes a lapsed lease for `owner`; false when another process renewed or took it first. */
  take(op: HeldOperation, owner: string, leaseUntil: number): Promise<boolean>;
  held(kind: OperationKind): Promise<HeldOperation[]>;
  /** Asks the holder to stop the work; false when nobody holds it. */
  requestCancel(kind: OperationKind, id: string): Promise<boolean>;
  /** The work held by `owner` that another process asked to stop. */
  cancelRequested(owner: string): Promise<HeldOperation[]>;
}

/** Resumes or ends work another process held; it runs under the taker's lease and releases it when done. */
export type TakeOver = (id: string, body: string) => Promise<void>;

export interface LeaseOptions {
  leaseMs: number;
  now: () => number;
  logger: Logger;
}

export class OperationLeases {
  /** This process, as owner of its leases. */
  readonly owner = randomUUID();
  private readonly takers = new Map<OperationKind, TakeOver>();
  private readonly cancellers = new Map<OperationKind, (id: string) => void>();
  private readonly canceled = new Set<string>();
  private readonly taking = new Set<Promise<void>>();
  private renewTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: LeaseStore,
    private readonly options: LeaseOptions,
  ) {}

  private until = () => this.options.now() + this.options.leaseMs;

  hold(kind: OperationKind, id: string, body: unknown = {}): Promise<void> {
    return this.store.hold({ kind, id, owner: this.owner, leaseUntil: this.until(), body: JSON.stringify(body) });
  }

  /** Holds work only if no process holds it: whether this process now does. */
  holdIfFree(kind: OperationKind, id: string, body: unknown = {}): Promise<boolean> {
    return this.store.holdIfFree({ kind, id, owner: this.owner, leaseUntil: this.until(), body: JSON.stringify(body) });
  }

  /** The work of a kind some process holds, with its bodies (read back as written). */
  async heldOf<T>(kind: OperationKind): Promise<Array<{ id: string; body: T }>> {
    return (await this.store.held(kind)).map((op) => ({ id: op.id, body: JSON.parse(op.body) as T }));
  }

  /** Joins a queue under this process's lease: the body records when (real time), so processes agree on order. */
  enqueue(kind: OperationKind, id: string, body: Record<string, unknown>): Promise<void> {
    return this.hold(kind, id, { ...body, arrivedAt: this.options.now() });
  }

  update(kind: OperationKind, id: string, body: unknown): Promise<void> {
    return this.store.setBody(kind, id, this.owner, JSON.stringify(body));
  }

  release(kind: OperationKind, id: string): Promise<void> {
    this.canceled.delete(`${kind}:${id}`);
    return this.store.release(kind, id, this.owner);
  }

  /** Leaves work to whichever process looks next (one that is stopping hands its runs over this way). */
  letGo(kind: OperationKind, id: string): Promise<void> {
    this.canceled.delete(`${kind}:${id}`);
    return this.store.giveUp(kind, id, this.owner);
  }

  /** Ids of the work of a kind that some process holds (a process that is gone included, until taken). */
  async heldIds(kind: OperationKind): Promise<Set<string>> {
    return new Set((await this.store.held(kind)).map((op) => op.id));
  }

  onLapsed(kind: OperationKind, takeOver: TakeOver): void {
    this.takers.set(kind, takeOver);
  }

  /** What stops work of a kind this process holds when another process is asked to cancel it. */
  onCancel(kind: OperationKind, cancel: (id: string) => void): void {
    this.cancellers.set(kind, cancel);
  }

  /** Asks whichever process holds the work to stop it (it does at its next renewal); false when none holds it. */
  requestCancel(kind: OperationKind, id: string): Promise<boolean> {
    return this.store.requestCancel(kind, id);
  }

  /**
   * Renews this process's leases every third of a lease (and stops what another process was asked to cancel),
   * and looks for lapsed ones every half.
   */
  start(): void {
    const { leaseMs, logger } = this.options;
    this.renewTimer = setInterval(() => void this.renew().catch((err) => logger.error({ err }, "cannot renew the leases of work under way")), Math.max(50, leaseMs / 3)).unref();
    this.sweepTimer = setInterval(() => void this.sweep().catch((err) => logger.error({ err }, "cannot look for work a stopped process left")), Math.max(50, leaseMs / 2)).unref();
  }

  private async renew(): Promise<void> {
    await this.store.renew(this.owner, this.until());
    for (const op of await this.store.cancelRequested(this.owner)) {
      const key = `${op.kind}:${op.id}`;
      if (this.canceled.has(key)) continue;
      this.canceled.add(key);
      this.cancellers.get(op.kind)?.(op.id);
    }
  }

  /**
   * Takes over lapsed work. `everything` takes every lease not this process's at once: for a store no other
   * process can open (SQLite's data folder is locked), whoever held them is gone.
   */
  async sweep(options: { everything?: boolean } = {}): Promise<number> {
    const lapsed = await this.store.lapsed(this.owner, options.everything ? Number.POSITIVE_INFINITY : this.options.now());
    let taken = 0;
    for (const op of lapsed) {
      const takeOver = this.takers.get(op.kind);
      if (!takeOver || !(await this.store.take(op, this.owner, this.until()))) continue;
      taken++;
      const work = takeOver(op.id, op.body)
        .catch((err) => this.options.logger.error({ err, kind: op.kind, id: op.id }, "cannot take over work a stopped process left"))
        .finally(() => this.taking.delete(work));
      this.taking.add(work);
    }
    return taken;
  }

  /** Resolves when the work taken over so far has been resumed or ended (tests and closing wait on it). */
  async settled(): Promise<void> {
    while (this.taking.size) await Promise.allSettled([...this.taking]);
  }

  stop(): void {
    clearInterval(this.renewTimer);
    clearInterval(this.sweepTimer);
  }
}
