import type { Parallelism } from "./model.js";
import type { AgentInfo } from "./runner/job-runner.js";

/** Where a job may run: the Microsoft-hosted pool, or a self-hosted pool and its agents. */
export interface PoolChoice {
  pool: string;
  hosted: boolean;
  /** A self-hosted pool's agents (each runs one job at a time); the hosted pool has as many as the limit allows. */
  agents: AgentInfo[];
}

interface Waiting {
  organizationId: string;
  choice: PoolChoice;
  grant: (lease: AgentLease) => void;
  fail: (error: Error) => void;
  onWaiting: (message: string) => void;
  lastMessage?: string;
}

export interface AgentLease {
  agent: AgentInfo;
  release(): void;
}

/**
 * Where parallel jobs and self-hosted agents in use are counted for every process sharing the store: a slot is
 * taken by one process at a time (held under its lease, freed when the job ends or the process dies).
 */
export interface AgentSlots {
  take(slot: string): Promise<boolean>;
  free(slot: string): Promise<void>;
}

/** How often jobs waiting here look again for slots another process freed. */
const RETRY_MS = 250;

const HOSTED_AGENT: AgentInfo = { name: "Hosted Agent", pool: "Azure Pipelines", hosted: true, vm: null };

/** Azure DevOps' words for a job that waits (the agent request's status; a private project's parallelism types). */
export const waitingTexts = {
  parallelism: (hosted: boolean, position: number) =>
    `The agent request is not running because you have reached the maximum number of requests that can run for parallelism type '${hosted ? "Microsoft-Hosted" : "Self-Hosted"} Private'. Current position in queue: ${position}`,
  agentsBusy: (position: number) => `The agent request is not running because all potential agents are running other requests. Current position in queue: ${position}`,
};

/**
 * Jobs waiting for an agent. An organization runs at most its parallel jobs at once — Microsoft-hosted and
 * self-hosted counted apart, over every process sharing the store — and a self-hosted agent one job at a time;
 * the rest wait in the order they asked here, told their position in Azure DevOps' words, and start as soon as a
 * job ends (here at once, on another process within RETRY_MS).
 */
export class AgentQueue {
  private readonly waiting: Waiting[] = [];
  /** Slots this process holds per organization and kind (`{org}:hosted` / `{org}:self`): the slot numbers. */
  private readonly running = new Map<string, Set<number>>();
  private readonly busyAgents = new Set<string>();
  private readonly limits = new Map<string, Parallelism>();
  private dispatching: Promise<void> = Promise.resolve();
  private again = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly readLimits: (organizationId: string) => Promise<Parallelism>,
    private readonly slots: AgentSlots,
  ) {}

  /** Waits for an agent for one job; `signal` (the run canceled) gives up waiting. */
  async acquire(organizationId: string, choice: PoolChoice, signal: AbortSignal, onWaiting: (message: string) => void): Promise<AgentLease> {
    // Read at each request: another process sharing the store may have changed them.
    this.limits.set(organizationId, await this.readLimits(organizationId));
    return new Promise<AgentLease>((grant, fail) => {
      const entry: Waiting = { organizationId, choice, grant, fail, onWaiting };
      this.waiting.push(entry);
      const abort = () => {
        const at = this.waiting.indexOf(entry);
        if (at < 0) return;
        this.waiting.splice(at, 1);
        fail(new Error("The operation was canceled."));
        this.dispatch();
      };
      if (signal.aborted) return abort();
      signal.addEventListener("abort", abort, { once: true });
      this.dispatch();
    });
  }

  /** An organization's parallel jobs changed (world file, admin API): waiting jobs may start now. */
  async limitsChanged(organizationId: string): Promise<void> {
    this.limits.set(organizationId, await this.readLimits(organizationId));
    this.dispatch();
  }

  private key = (organizationId: string, hosted: boolean) => `${organizationId}:${hosted ? "hosted" : "self"}`;

  /** Dispatches run one at a time (taking a slot is a store write); one asked for meanwhile runs after. */
  private dispatch(): void {
    if (this.again) return;
    this.again = true;
    this.dispatching = this.dispatching.then(async () => {
      this.again = false;
      await this.grantWhatFits().catch(() => undefined);
      clearTimeout(this.retry);
      if (this.waiting.length) this.retry = setTimeout(() => this.dispatch(), RETRY_MS).unref();
    });
  }

  private async grantWhatFits(): Promise<void> {
    const positions = new Map<string, number>();
    for (const entry of [...this.waiting]) {
      const kind = this.key(entry.organizationId, entry.choice.hosted);
      const limits = this.limits.get(entry.organizationId)!;
      const limit = entry.choice.hosted ? limits.microsoftHosted : limits.selfHosted;
      const held = this.running.get(kind) ?? new Set<number>();
      const free = entry.choice.hosted ? [HOSTED_AGENT] : entry.choice.agents.filter((a) => !this.busyAgents.has(this.agentKey(entry, a)));
      const outcome = held.size >= limit ? "parallelism" : free.length === 0 ? "agents" : await this.takeSlots(entry, kind, limit, free);
      if (typeof outcome === "object" && this.waiting.includes(entry)) {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        entry.grant(this.lease(entry, kind, outcome.slot, outcome.agent));
        continue;
      }
      // Canceled while its slots were taken: they go back.
      if (typeof outcome === "object") void this.freeSlots(kind, outcome.slot, outcome.agent.hosted ? undefined : this.agentKey(entry, outcome.agent));
      const position = (positions.get(kind) ?? 0) + 1;
      positions.set(kind, position);
      const message = outcome === "agents" ? waitingTexts.agentsBusy(position) : waitingTexts.parallelism(entry.choice.hosted, position);
      if (message !== entry.lastMessage) {
        entry.lastMessage = message;
        entry.onWaiting(message);
      }
    }
  }

  /**
   * A parallel-job slot under the limit no process holds, and for a self-hosted pool an agent no process uses; or
   * what is missing.
   */
  private async takeSlots(entry: Waiting, kind: string, limit: number, free: AgentInfo[]): Promise<{ slot: number; agent: AgentInfo } | "parallelism" | "agents"> {
    const held = this.running.get(kind) ?? new Set<number>();
    for (let slot = 0; slot < limit; slot++) {
      if (held.has(slot) || !(await this.slots.take(`${kind}:${slot}`))) continue;
      for (const agent of free) {
        if (agent.hosted || (await this.slots.take(this.agentKey(entry, agent)))) return { slot, agent };
      }
      await this.slots.free(`${kind}:${slot}`);
      return "agents";
    }
    return "parallelism";
  }

  private async freeSlots(kind: string, slot: number, agentKey: string | undefined): Promise<void> {
    await this.slots.free(`${kind}:${slot}`).catch(() => undefined);
    if (agentKey) await this.slots.free(agentKey).catch(() => undefined);
  }

  private agentKey = (entry: Waiting, agent: AgentInfo) => `${entry.organizationId}:${entry.choice.pool}:${agent.name}`.toLowerCase();

  private lease(entry: Waiting, kind: string, slot: number, agent: AgentInfo): AgentLease {
    const held = this.running.get(kind) ?? new Set<number>();
    held.add(slot);
    this.running.set(kind, held);
    const agentKey = entry.choice.hosted ? undefined : this.agentKey(entry, agent);
    if (agentKey) this.busyAgents.add(agentKey);
    let released = false;
    return {
      agent,
      release: () => {
        if (released) return;
        released = true;
        held.delete(slot);
        if (agentKey) this.busyAgents.delete(agentKey);
        void this.freeSlots(kind, slot, agentKey).finally(() => this.dispatch());
      },
    };
  }
}
