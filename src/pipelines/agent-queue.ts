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

const HOSTED_AGENT: AgentInfo = { name: "Hosted Agent", pool: "Azure Pipelines", hosted: true, vm: null };

/** Azure DevOps' words for a job that waits (the agent request's status; a private project's parallelism types). */
export const waitingTexts = {
  parallelism: (hosted: boolean, position: number) =>
    `The agent request is not running because you have reached the maximum number of requests that can run for parallelism type '${hosted ? "Microsoft-Hosted" : "Self-Hosted"} Private'. Current position in queue: ${position}`,
  agentsBusy: (position: number) => `The agent request is not running because all potential agents are running other requests. Current position in queue: ${position}`,
};

/**
 * Jobs waiting for an agent. An organization runs at most its parallel jobs at once — Microsoft-hosted and
 * self-hosted counted apart — and a self-hosted agent one job at a time; the rest wait in the order they asked,
 * told their position in Azure DevOps' words, and start as soon as a job ends.
 */
export class AgentQueue {
  private readonly waiting: Waiting[] = [];
  /** Jobs running per organization and kind (`{org}:hosted` / `{org}:self`). */
  private readonly running = new Map<string, number>();
  private readonly busyAgents = new Set<string>();
  private readonly limits = new Map<string, Parallelism>();

  constructor(private readonly readLimits: (organizationId: string) => Promise<Parallelism>) {}

  /** Waits for an agent for one job; `signal` (the run canceled) gives up waiting. */
  async acquire(organizationId: string, choice: PoolChoice, signal: AbortSignal, onWaiting: (message: string) => void): Promise<AgentLease> {
    if (!this.limits.has(organizationId)) this.limits.set(organizationId, await this.readLimits(organizationId));
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

  private dispatch(): void {
    const positions = new Map<string, number>();
    for (const entry of [...this.waiting]) {
      const kind = this.key(entry.organizationId, entry.choice.hosted);
      const limits = this.limits.get(entry.organizationId)!;
      const limit = entry.choice.hosted ? limits.microsoftHosted : limits.selfHosted;
      const busy = this.running.get(kind) ?? 0;
      const agent = entry.choice.hosted ? HOSTED_AGENT : entry.choice.agents.find((a) => !this.busyAgents.has(this.agentKey(entry, a)));
      if (busy < limit && agent) {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        entry.grant(this.lease(entry, kind, agent));
        continue;
      }
      const position = (positions.get(kind) ?? 0) + 1;
      positions.set(kind, position);
      const message = busy >= limit ? waitingTexts.parallelism(entry.choice.hosted, position) : waitingTexts.agentsBusy(position);
      if (message !== entry.lastMessage) {
        entry.lastMessage = message;
        entry.onWaiting(message);
      }
    }
  }

  private agentKey = (entry: Waiting, agent: AgentInfo) => `${entry.organizationId}:${entry.choice.pool}:${agent.name}`.toLowerCase();

  private lease(entry: Waiting, kind: string, agent: AgentInfo): AgentLease {
    this.running.set(kind, (this.running.get(kind) ?? 0) + 1);
    const agentKey = entry.choice.hosted ? undefined : this.agentKey(entry, agent);
    if (agentKey) this.busyAgents.add(agentKey);
    let released = false;
    return {
      agent,
      release: () => {
        if (released) return;
        released = true;
        this.running.set(kind, (this.running.get(kind) ?? 1) - 1);
        if (agentKey) this.busyAgents.delete(agentKey);
        this.dispatch();
      },
    };
  }
}
