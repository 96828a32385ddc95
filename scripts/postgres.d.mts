/** A throwaway PostgreSQL cluster (scripts/postgres.mjs): its URL and how to stop it; undefined where not installed. */
export function startPostgres(): Promise<{ url: string; stop(): void } | undefined>;
