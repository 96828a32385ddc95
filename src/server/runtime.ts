
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AdjustableClock } from "../core/clock.js";
import { SecretBox } from "../core/crypto.js";
import { checkStoreKey, dataKeys, KEY_FILE, openDataFolder, openKeyFolder, recordDatabase } from "./data-folder.js";
import type { Config, Plane } from "../core/config.js";
import { OperationLeases } from "../core/leases.js";
import { createLogger, type Logger } from "../core/logging.js";
import { DeploymentEngine } from "../arm/deployments.js";
import { ArmSeeder } from "../arm/seed.js";
import { ArmService } from "../arm/service.js";
import { FederationIssuer } from "../devops/federation.js";
import { inProcessArmApi, inProcessEntraApi, inProcessPipelinesDevOpsApi, inProcessTokenValidator, inProcessVaultDirectory, inProcessVaultTokens } from "./in-process-ports.js";
import { KeyVaultService } from "../keyvault/service.js";
import { VaultEndpoints } from "./vault-endpoints.js";
import { listenerAddress } from "./listener-address.js";
import { chooseSandbox, codePaths, type StepSandbox } from "../pipelines/runner/sandbox.js";
import { WorkFolders } from "../pipelines/runner/work-folders.js";
import { realpathOrSelf } from "../pipelines/repositories.js";
import { PipelinesService } from "../pipelines/service.js";
import { DevOpsService } from "../devops/service.js";
import type { ResourcePlane } from "../entra/token/token-audiences.js";
import { EntraService } from "../entra/service.js";
import { openPostgres, openSqlite, storeOf, type Store } from "../store/index.js";
import type { World } from "../world/schema.js";
import { loadWorld, readWorld } from "../world/load.js";
import { buildServer, type Listeners } from "./build.js";
import { serverTls, type TlsMaterial } from "./tls.js";

/** Everything svcconn runs, wired but not listening. */
export interface Runtime {
  config: Config;
  logger: Logger;
  store: Store;
  clock: AdjustableClock;
  entra: EntraService;
  arm: ArmService;
  deployments: DeploymentEngine;
  devops: DevOpsService;
  pipelines: PipelinesService;
  keyVault: KeyVaultService;
  /** This process's leases on runs and automatic creations under way. */
  leases: OperationLeases;
  /** Each vault's own port by svcconn's URL, and the proxy's tunnels to the vault listener. */
  vaultEndpoints: VaultEndpoints;
  world: World;
  adminKey: string;
  tls?: TlsMaterial;
  listeners: Listeners;
  /** Base URL of each listener, filled in as they start listening. */
  /** Where each listener answers once it listens, and the real-host proxy. */
  urls: Partial<Record<Plane | "proxy", string>>;
  /** Tells the runtime which port serves which plane (svcconn's own URLs are valid token resources). */
  bindPort(plane: Plane, port: number): void;
  close(): Promise<void>;
}

/** How long closing waits for automatic creations under way. */
const CLOSE_GRACE_MS = 10_000;

/** How soon a clock moved by another process on the same database reaches this one. */
const CLOCK_POLL_MS = 200;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Opens the store (loading the world into a new one), makes TLS material and builds every listener. */
export async function createRuntime(config: Config): Promise<Runtime> {
  const logger = createLogger(config.logLevel);
  const dataDir = resolve(config.dataDir);
  // Processes on one database share a key folder: its keys and CA, not the data folder's.
  const keyFolder = config.keysDir ? await openKeyFolder(config.keysDir) : undefined;
  const folder = config.memory ? undefined : openDataFolder(dataDir, { reset: config.reset, keysElsewhere: keyFolder !== undefined });
  // Key generation runs on the thread pool while the store opens and the world loads.
  const pendingTls = config.tls ? serverTls(config.caDir ?? keyFolder?.caDir ?? join(dataDir, "tls"), config.host) : undefined;
  pendingTls?.catch(() => undefined);
  let store: Store;
  try {
    store = storeOf(config.database ? await openPostgres(config.database, { reset: config.reset }) : await openSqlite({ dataDir, memory: config.memory }));
    // The CLI's `--data` finds a PostgreSQL store through the folder.
    if (config.database && folder) recordDatabase(dataDir, config.database);
  } catch (error) {
    folder?.release();
    throw error;
  }
  try {
    const keys = keyFolder?.keys ?? (await dataKeys(store, folder));
    await checkStoreKey(store, new SecretBox(keys.secretKey), keyFolder ? join(resolve(config.keysDir!), KEY_FILE) : (folder?.keyFile ?? "(in memory)"));
    const adminKey = config.adminKey ?? keys.adminKey;
    const keyBox = new SecretBox(keys.secretKey);
    const { clock, clockPoll } = await storedClock(store, !!config.database, logger);

    // A data folder remembers the world it was made from, so a restart prints the same bootstrap facts.
    const worldFile = config.world ? resolve(config.world) : ((await store.meta.get("worldFile")) ?? "demo");
    const world = readWorld(worldFile === "demo" ? undefined : worldFile);
    const urls: Partial<Record<Plane | "proxy", string>> = {};
    const ports = new Map<number, Plane>();
    const localPlane = (url: URL): ResourcePlane | undefined => {
      if (!LOOPBACK.has(url.hostname) && url.hostname !== config.host) return undefined;
      const plane = ports.get(Number(url.port || (url.protocol === "https:" ? 443 : 80)));
      return plane === "arm" || plane === "graph" || plane === "devops" ? plane : undefined;
    };
    const loginBase = () => urls.login ?? "https://127.0.0.1";
    let tls: TlsMaterial | undefined;
    const caFile = () => tls?.caFile;
    const isolation = stepIsolation(config, dataDir, caFile);
    const removedFolders = isolation.workFolders.sweep();
    if (removedFolders) logger.warn({ removedFolders }, "job folders a stopped svcconn left behind were removed (their steps ended)");
    if (isolation.sandbox.kind === "none") logger.warn({ reason: isolation.sandbox.reason }, "pipeline steps run WITHOUT a sandbox: a step can read svcconn's data folder (keys.json) and environment; install bubblewrap");

    // Runs and automatic creations are held under leases: another process (or the next start) takes over a stopped one's.
    const leases = new OperationLeases(store.leases, { leaseMs: config.leaseSeconds * 1000, now: Date.now, logger });
    const planes = (s: Store) => buildPlanes(s, { config, clock, keyBox, secretKey: keys.secretKey, logger, leases, isolation, localPlane, urls, loginBase, caFile });
    // A store is seeded once: the world's name is written in the same start, after the world's one transaction;
    // processes starting together on one empty database take turns, and only the first loads it.
    await store.exclusively("world", async () => {
      if (await store.meta.get("worldFile")) return;
      await loadWorld(world, store, (s) => {
        const p = planes(s);
        return { directory: p.entra.directory, arm: p.arm, armSeeder: new ArmSeeder(s, clock), devops: p.devops, pipelines: p.pipelines, keyVault: p.keyVault, signIn: p.entra.signIn, clock };
      });
      await store.meta.set("worldFile", worldFile);
    });
    const { entra, arm, devops, pipelines, keyVault } = planes(store);
    await takeOverUnfinished(leases, devops, pipelines, config, logger);
    const deployments = new DeploymentEngine(arm, store, clock);
    let built: Listeners | undefined;
    const vaultEndpoints = new VaultEndpoints(() => built!.vault, () => listenerAddress(config.host));
    tls = await pendingTls;
    const listeners = buildServer({
      clock,
      logger,
      adminKey,
      entra,
      arm,
      deployments,
      devops,
      pipelines,
      keyVault,
      vaultEndpoints,
      tls,
      loginBase,
      graphBase: () => urls.graph ?? "https://127.0.0.1",
      armBase: () => urls.arm ?? "https://127.0.0.1",
      ownUrls: () => ({ devops: urls.devops ?? "https://127.0.0.1", graph: urls.graph ?? "https://127.0.0.1", arm: urls.arm ?? "https://127.0.0.1", caFile: caFile() }),
    });
    built = listeners;

    return {
      config,
      logger,
      store,
      clock,
      entra,
      arm,
      deployments,
      devops,
      pipelines,
      keyVault,
      vaultEndpoints,
      world,
      adminKey,
      leases,
      tls,
      listeners,
      urls,
      bindPort: (plane, port) => void ports.set(port, plane),
      async close() {
        clearInterval(clockPoll);
        leases.stop();
        pipelines.handOverAll();
        await Promise.allSettled([...Object.values(listeners).map((l) => l.close()), vaultEndpoints.close()]);
        // Creations under way finish (or fail) before the store closes; a stuck one is recovered at the next start.
        await Promise.race([Promise.all([devops.creation.settled(), leases.settled(), pipelines.settled()]), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
        await pipelines.close();
        await store.close();
        folder?.release();
      },
    };
  } catch (error) {
    await store.close();
    folder?.release();
    throw error;
  }
}

/**
 * svcconn's clock, its offset kept in the store: a move adds to the stored offset, so moves made by processes sharing
 * the store all count; each process follows the stored offset (read every CLOCK_POLL_MS where the store is shared).
 */
async function storedClock(store: Store, shared: boolean, logger: Logger) {
  const clock = new AdjustableClock(Number((await store.meta.get("clockOffsetMs")) ?? 0));
  clock.onChange((_, moved) => void store.meta.add("clockOffsetMs", moved).then((offset) => clock.follow(offset)).catch((err) => logger.error({ err }, "cannot persist the clock")));
  const clockPoll = shared ? setInterval(() => void store.meta.get("clockOffsetMs").then((offset) => clock.follow(Number(offset ?? 0)), () => undefined), CLOCK_POLL_MS).unref() : undefined;
  return { clock, clockPoll };
}

/** What the planes are built with besides their store. */
interface PlaneParts {
  config: Config;
  clock: AdjustableClock;
  keyBox: SecretBox;
  secretKey: Buffer;
  logger: Logger;
  leases: OperationLeases;
  isolation: ReturnType<typeof stepIsolation>;
  localPlane: (url: URL) => ResourcePlane | undefined;
  urls: Partial<Record<Plane | "proxy", string>>;
  loginBase: () => string;
  caFile: () => string | undefined;
}

/** The planes over one store (the world loader builds them over its transaction), each reaching the others through its ports. */
function buildPlanes(s: Store, { config, clock, keyBox, secretKey, logger, leases, isolation, localPlane, urls, loginBase, caFile }: PlaneParts) {
  const federation = new FederationIssuer(s, clock, keyBox);
  const entra = new EntraService({
    store: s,
    clock,
    localPlane,
    federationIssuers: [federation.resolver()],
    sessionInactivitySeconds: config.sessionInactivitySeconds,
    directoryPropagationSeconds: config.directoryPropagationSeconds,
    // The web UI on this instance's DevOps listener, and under its real name through the real-host proxy.
    azureDevOpsWebOrigins: () => [...(urls.devops ? [urls.devops] : []), "https://dev.azure.com"],
    keyBox,
  });
  const arm = new ArmService({ store: s, clock, directory: entra.directory, tokens: inProcessTokenValidator(entra), roleAssignmentPropagationSeconds: config.rbacPropagationSeconds });
  const entraApi = inProcessEntraApi(entra, clock, loginBase);
  const devops = new DevOpsService({
    store: s,
    clock,
    logger,
    entra: entraApi,
    arm: inProcessArmApi(arm),
    federation,
    secretKey,
    keyBox,
    leases,
  });
  const pipelines = new PipelinesService({
    store: s,
    clock,
    logger,
    devops: inProcessPipelinesDevOpsApi(devops),
    urls: () => ({ devops: urls.devops ?? "https://127.0.0.1", login: loginBase(), arm: urls.arm ?? "https://127.0.0.1", graph: urls.graph ?? "https://127.0.0.1", imds: urls.imds ?? "http://127.0.0.1", proxy: urls.proxy }),
    agentEnvironment: () => agentEnvironment(caFile()),
    keyBox,
    leases,
    ...isolation,
  });
  const keyVault = new KeyVaultService({ store: s, clock, keyBox, directory: inProcessVaultDirectory(arm), tokens: inProcessVaultTokens(entra) });
  return { entra, arm, devops, pipelines, keyVault };
}

/** Runs and automatic creations a stopped process held are taken over (leases), and ones left unfinished ended. */
async function takeOverUnfinished(leases: OperationLeases, devops: DevOpsService, pipelines: PipelinesService, config: Config, logger: Logger): Promise<void> {
  leases.onLapsed("creation", (id) => devops.takeOverCreation(id));
  leases.onLapsed("run", (id, body) => pipelines.takeOverRun(id, body));
  leases.onCancel("run", (id) => pipelines.cancelHeld(Number(id)));
  // A parallel job, agent, exclusive lock or place in a lock's queue a stopped process held is free again.
  for (const kind of ["agent", "lock", "lock-wait"] as const) leases.onLapsed(kind, (id) => leases.release(kind, id));
  // SQLite's data folder is locked to this process: whoever held a lease there is gone, so it is taken at once.
  const takenOver = await leases.sweep({ everything: !config.database });
  if (takenOver) logger.warn({ takenOver }, "runs and automatic creations a stopped process held were taken over");
  leases.start();
  const orphanGraceMs = config.database ? config.leaseSeconds * 1000 : 0;
  const recovered = await devops.recoverUnfinishedCreations(orphanGraceMs);
  if (recovered) logger.warn({ recovered }, "automatic service connection creations left unfinished by the last run were failed and undone");
  const abandoned = await pipelines.recoverUnfinishedRuns(orphanGraceMs);
  if (abandoned) logger.warn({ abandoned }, "pipeline runs left under way by the last run were ended as failed");
}

/**
 * Where jobs run and what their steps cannot see: the data folder and the CA's folder are hidden (the CA
 * certificate, svcconn's code and Node stay visible), and so is every other job's folder.
 */
function stepIsolation(config: Config, dataDir: string, caFile: () => string | undefined): { workFolders: WorkFolders; sandbox: StepSandbox; protectedPaths: string[] } {
  // With --memory the data folder holds nothing but, by default, the CA.
  const caDir = config.caDir ? resolve(config.caDir) : join(dataDir, "tls");
  const protectedPaths = [...new Set([...(config.memory ? [] : [dataDir]), ...(config.tls ? [caDir] : [])].map(realpathOrSelf))];
  const workFolders = new WorkFolders({ dataDir: config.memory ? undefined : dataDir, protectedPaths });
  const here = fileURLToPath(import.meta.url);
  const sandbox = chooseSandbox(config.stepSandbox, {
    get hidden() {
      return [...protectedPaths, workFolders.root, workFolders.artifactsRoot];
    },
    get needed() {
      const ca = caFile();
      return [...codePaths(here), ...(ca ? [ca] : [])];
    },
  });
  return { workFolders, sandbox, protectedPaths };
}

/**
 * What a step inherits from svcconn's agent: the path, locale and proxy settings of this process, and the CA that
 * signs svcconn's listeners for every client a task may run (Node, Python, curl).
 */
function agentEnvironment(caFile: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy", "AZURE_CORE_COLLECT_TELEMETRY"]) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  if (caFile) {
    env.NODE_EXTRA_CA_CERTS = caFile;
    env.REQUESTS_CA_BUNDLE = caFile;
    env.SSL_CERT_FILE = caFile;
  }
  return env;
}
