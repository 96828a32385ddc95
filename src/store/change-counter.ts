import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";

/**
 * Counts writes (any query that is not a SELECT) made through this process's database handle. Read caches
 * compare the count they were filled at with the current one, so a write here invalidates them at once.
 */
export class ChangeCounter implements KyselyPlugin {
  version = 0;

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind !== "SelectQueryNode") this.version++;
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/**
 * A small read-through cache for hot lookups (token issuance, authorization). An entry lives until any write
 * through this process or for `ttlMs` — the bound on staleness when other processes share the database.
 */
export class ReadCache {
  private readonly entries = new Map<string, { version: number; expires: number; value: Promise<unknown> }>();

  constructor(
    private readonly changes: ChangeCounter,
    private readonly ttlMs = 1000,
    private readonly maxEntries = 10_000,
  ) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.version === this.changes.version && hit.expires > now) return hit.value as Promise<T>;
    const value = load();
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { version: this.changes.version, expires: now + this.ttlMs, value });
    value.catch(() => this.entries.delete(key));
    return value;
  }
}
