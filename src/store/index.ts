import { ApplicationRepository } from "./applications.js";
import { DevOpsRepository } from "./devops.js";
import { HierarchyRepository } from "./hierarchy.js";
import { ApprovalRepository } from "./approvals.js";
import { CheckRepository } from "./checks.js";
import { EnvironmentRepository } from "./environments.js";
import { LibraryRepository } from "./library.js";
import { RbacRepository } from "./rbac.js";
import { ResourceRepository } from "./resources.js";
import { SessionRepository } from "./sessions.js";
import { ChangeCounter, ReadCache } from "./change-counter.js";
import type { Db, OpenedDatabase } from "./database.js";
import { sql } from "kysely";
import { MetaRepository } from "./meta.js";
import { isPostgres } from "./migrations.js";
import { OperationLeaseRepository } from "./operation-leases.js";
import { PipelineRepository } from "./pipelines.js";
import { DeletedItemRepository } from "./deleted-items.js";
import { ServicePrincipalRepository } from "./service-principals.js";
import { KeyRepository } from "./signing-keys.js";
import { TenantRepository } from "./tenants.js";
import { UserRepository } from "./users.js";
import { VaultSecretRepository } from "./vault-secrets.js";

/** Every repository over one database. Services receive this; they never see SQL. */
export class Store {
  readonly meta: MetaRepository;
  readonly tenants: TenantRepository;
  readonly users: UserRepository;
  readonly applications: ApplicationRepository;
  readonly servicePrincipals: ServicePrincipalRepository;
  readonly deletedItems: DeletedItemRepository;
  readonly keys: KeyRepository;
  readonly hierarchy: HierarchyRepository;
  readonly resources: ResourceRepository;
  readonly rbac: RbacRepository;
  readonly sessions: SessionRepository;
  readonly devops: DevOpsRepository;
  readonly library: LibraryRepository;
  readonly environments: EnvironmentRepository;
  readonly checks: CheckRepository;
  readonly approvals: ApprovalRepository;
  readonly pipelines: PipelineRepository;
  readonly vaultSecrets: VaultSecretRepository;
  readonly leases: OperationLeaseRepository;
  /** Cache for hot read paths; invalidated by any write through this store. */
  readonly cache: ReadCache;

  constructor(
    readonly db: Db,
    readonly changes: ChangeCounter = new ChangeCounter(),
  ) {
    this.cache = new ReadCache(changes);
    this.meta = new MetaRepository(db);
    this.tenants = new TenantRepository(db);
    this.users = new UserRepository(db);
    this.applications = new ApplicationRepository(db);
    this.servicePrincipals = new ServicePrincipalRepository(db);
    this.deletedItems = new DeletedItemRepository(db);
    this.keys = new KeyRepository(db);
    this.hierarchy = new HierarchyRepository(db);
    this.resources = new ResourceRepository(db);
    this.rbac = new RbacRepository(db);
    this.sessions = new SessionRepository(db);
    this.devops = new DevOpsRepository(db);
    this.library = new LibraryRepository(db);
    this.environments = new EnvironmentRepository(db);
    this.checks = new CheckRepository(db);
    this.approvals = new ApprovalRepository(db);
    this.vaultSecrets = new VaultSecretRepository(db);
    this.pipelines = new PipelineRepository(db);
    this.leases = new OperationLeaseRepository(db);
  }

  /** Runs `work` in one transaction, with repositories bound to it. */
  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(new Store(trx, this.changes)));
  }

  /**
   * Runs `work` while no other process sharing this database runs work under the same name (PostgreSQL's
   * advisory lock, held by one connection; SQLite's store has one process).
   */
  async exclusively<T>(name: string, work: () => Promise<T>): Promise<T> {
    if (!isPostgres(this.db)) return work();
    const key = sql`hashtext(${`svcconn:${name}`})`;
    return this.db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(${key})`.execute(connection);
      try {
        return await work();
      } finally {
        await sql`select pg_advisory_unlock(${key})`.execute(connection);
      }
    });
  }

  async isEmpty(): Promise<boolean> {
    const row = await this.db.selectFrom("tenants").select("id").limit(1).executeTakeFirst();
    return !row;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

export { openPostgres, openSqlite, UniqueViolation, type Db } from "./database.js";

export const storeOf = (opened: OpenedDatabase): Store => new Store(opened.db, opened.changes);
