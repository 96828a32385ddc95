import { z } from "zod";

export const PLANES = ["login", "graph", "arm", "devops", "imds", "vault"] as const;
export type Plane = (typeof PLANES)[number];

/** Fixed default ports, one per listener: login 8443, graph 8444, arm 8445, devops 8446, imds 8447, proxy 8448, vault 8449. */
export const DEFAULT_BASE_PORT = 8443;

const portsSchema = z.union([
  z.literal("auto"),
  z.object({
    login: z.number().int().min(0).max(65535),
    graph: z.number().int().min(0).max(65535),
    arm: z.number().int().min(0).max(65535),
    devops: z.number().int().min(0).max(65535),
    imds: z.number().int().min(0).max(65535),
    /** Key Vault (`{vault}.vault.azure.net` through the proxy); login + 6 when absent. */
    vault: z.number().int().min(0).max(65535).optional(),
    /** The real-host proxy (not a plane: it routes to them); login + 5 when absent. */
    proxy: z.number().int().min(0).max(65535).optional(),
  }),
]);
export type PortsConfig = z.infer<typeof portsSchema>;

export const configSchema = z.object({
  /** Folder holding the SQLite file, the local CA and the admin key. */
  dataDir: z.string().min(1).default("./.svcconn"),
  /** Keep the store in memory (nothing written but the CA). */
  memory: z.boolean().default(false),
  /** A PostgreSQL store (`postgres://user@host:port/db`) instead of the data folder's SQLite file. */
  database: z.string().regex(/^postgres(?:ql)?:\/\//, "must be a postgres:// URL").optional(),
  /**
   * A key folder shared by every process on one database: the key file and the local CA (made by the first
   * process). The data folder's own when absent.
   */
  keysDir: z.string().min(1).optional(),
  /**
   * Join processes already serving the database: no world is loaded unless the database is empty, and `reset`
   * is refused.
   */
  join: z.boolean().default(false),
  /** A world file; the built-in demo world when absent. */
  world: z.string().min(1).optional(),
  /** Wipe the store and load the world again. */
  reset: z.boolean().default(false),
  tls: z.boolean().default(true),
  host: z.string().min(1).default("127.0.0.1"),
  ports: portsSchema.default(basePorts(DEFAULT_BASE_PORT)),
  adminKey: z.string().min(8, "must be at least 8 characters").optional(),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("warn"),
  /** Seconds before a directory-settings change (authorizationPolicy) applies; Entra takes 15–20 minutes. */
  directoryPropagationSeconds: z.number().int().min(0).default(900),
  /** Seconds before a new or removed role assignment changes authorization; ARM takes a few minutes. */
  rbacPropagationSeconds: z.number().int().min(0).default(300),
  /**
   * Seconds a process holds a run or an automatic creation without renewing before another process (or the next
   * start) takes it over; renewed every third of it.
   */
  leaseSeconds: z.number().min(0.3).max(3600).default(30),
  /** Seconds a refresh token may go unused before it expires (AADSTS700082); Entra's default is 90 days. */
  sessionInactivitySeconds: z.number().int().min(1).default(90 * 86_400),
  /** Folder of an existing CA to sign the server certificate with (tests share one CA across servers). */
  caDir: z.string().min(1).optional(),
  /**
   * How pipeline steps are kept from svcconn's own secrets: `auto` (bubblewrap where it works, else run unisolated
   * and say so loudly), `bubblewrap` (refuse to start without it) or `none`.
   */
  stepSandbox: z.enum(["auto", "bubblewrap", "none"]).default("auto"),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export function basePorts(base: number): PortsConfig {
  return { login: base, graph: base + 1, arm: base + 2, devops: base + 3, imds: base + 4, proxy: base + 5, vault: base + 6 };
}

/** `auto`, a base port (`9000` → 9000…9004), or `login=1,graph=2,arm=3,devops=4,imds=5`. */
export function parsePorts(text: string): PortsConfig {
  const value = text.trim();
  if (value === "auto") return "auto";
  if (/^\d+$/.test(value)) return basePorts(Number(value));
  const ports: Record<string, number> = {};
  for (const part of value.split(",")) {
    const [name, port] = part.split("=");
    if (!name || !port || !/^\d+$/.test(port.trim())) throw new ConfigError("ports", `cannot read '${part}'`);
    ports[name.trim()] = Number(port.trim());
  }
  return ports as PortsConfig;
}

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid configuration '${key}': ${reason}`);
  }
}

/** Flags win over environment variables, which win over defaults. A bad value names its key. */
export function resolveConfig(flags: ConfigInput, env: NodeJS.ProcessEnv = process.env): Config {
  const fromEnv: ConfigInput = {};
  if (env.SVCCONN_DATA) fromEnv.dataDir = env.SVCCONN_DATA;
  if (env.SVCCONN_WORLD) fromEnv.world = env.SVCCONN_WORLD;
  if (env.SVCCONN_DATABASE) fromEnv.database = env.SVCCONN_DATABASE;
  if (env.SVCCONN_KEYS) fromEnv.keysDir = env.SVCCONN_KEYS;
  if (env.SVCCONN_HOST) fromEnv.host = env.SVCCONN_HOST;
  if (env.SVCCONN_PORTS) fromEnv.ports = parsePorts(env.SVCCONN_PORTS);
  if (env.SVCCONN_ADMIN_KEY) fromEnv.adminKey = env.SVCCONN_ADMIN_KEY;
  if (env.SVCCONN_LOG_LEVEL) fromEnv.logLevel = env.SVCCONN_LOG_LEVEL as Config["logLevel"];
  if (env.SVCCONN_DIRECTORY_DELAY) fromEnv.directoryPropagationSeconds = Number(env.SVCCONN_DIRECTORY_DELAY);
  if (env.SVCCONN_SESSION_INACTIVITY) fromEnv.sessionInactivitySeconds = Number(env.SVCCONN_SESSION_INACTIVITY);
  if (env.SVCCONN_RBAC_DELAY) fromEnv.rbacPropagationSeconds = Number(env.SVCCONN_RBAC_DELAY);
  if (env.SVCCONN_LEASE_SECONDS) fromEnv.leaseSeconds = Number(env.SVCCONN_LEASE_SECONDS);
  if (env.SVCCONN_STEP_SANDBOX) fromEnv.stepSandbox = env.SVCCONN_STEP_SANDBOX as Config["stepSandbox"];
  const merged = { ...fromEnv, ...stripUndefined(flags) };
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(issue.path.join(".") || "config", issue.message);
  }
  if (parsed.data.memory && parsed.data.database) throw new ConfigError("memory", "a store in memory and a PostgreSQL database exclude each other");
  if (parsed.data.join && !parsed.data.database) throw new ConfigError("join", "joining other processes needs their PostgreSQL --database");
  if (parsed.data.join && parsed.data.reset) throw new ConfigError("join", "a process joining others cannot --reset the database they serve");
  return parsed.data;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
