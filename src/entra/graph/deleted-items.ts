import type { Clock } from "../../core/clock.js";
import type { Store } from "../../store/index.js";
import type { Application, DeletedApplication, DeletedItem, DeletedObjectType, DeletedServicePrincipal, ServicePrincipal } from "../model.js";
import { GraphError, graphErrors } from "./graph-errors.js";

/** How long Entra keeps a deleted application or service principal restorable. */
const RETENTION_MS = 30 * 86_400_000;

/**
 * Graph's deleted items (`directory/deletedItems`): deleting an application or a service principal keeps it whole —
 * credentials, federated credentials, owners, app role grants — for 30 days on svcconn's clock; a restore brings it
 * back with the same object id and appId (so role assignments that name it work again), and after 30 days it is
 * gone. An application restored brings back the service principal deleted with it.
 */
export class DeletedItems {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Deletes an application and its service principal in the tenant, keeping both. */
  async deleteApplication(app: Application, sp: ServicePrincipal | undefined): Promise<void> {
    const { applications } = this.store;
    const body: DeletedApplication = { application: app, passwords: await applications.passwords(app.id), keys: await applications.keys(app.id), federated: await applications.federated(app.id), owners: await applications.owners(app.id) };
    const deletedAt = this.clock.now().toISOString();
    await this.store.transaction(async (store) => {
      if (sp) await this.keepServicePrincipal(store, sp, app.id, deletedAt);
      await store.deletedItems.insert({ id: app.id, tenantId: app.tenantId, type: "application", deletedAt, body });
      await store.applications.delete(app.id);
    });
  }

  async deleteServicePrincipal(sp: ServicePrincipal): Promise<void> {
    await this.store.transaction((store) => this.keepServicePrincipal(store, sp, null, this.clock.now().toISOString()));
  }

  private async keepServicePrincipal(store: Store, sp: ServicePrincipal, withApplication: string | null, deletedAt: string): Promise<void> {
    const body: DeletedServicePrincipal = {
      servicePrincipal: sp,
      appRoleAssignments: await store.servicePrincipals.appRoleAssignments(sp.id),
      federated: await store.applications.federated(sp.id),
      owners: await store.applications.owners(sp.id),
      withApplication,
    };
    await store.deletedItems.insert({ id: sp.id, tenantId: sp.tenantId, type: "servicePrincipal", deletedAt, body });
    await store.servicePrincipals.delete(sp.id);
  }

  /** The objects of a type deleted in the last 30 days, oldest first. */
  async list(tenantId: string, type: DeletedObjectType): Promise<DeletedItem[]> {
    await this.purgeExpired();
    return this.store.deletedItems.list(tenantId, type);
  }

  async find(tenantId: string, id: string): Promise<DeletedItem> {
    await this.purgeExpired();
    const item = await this.store.deletedItems.get(tenantId, id);
    if (!item) throw graphErrors.notFound(id);
    return item;
  }

  /** Brings a deleted object back as it was; an application, with the service principal deleted with it. */
  async restore(item: DeletedItem): Promise<Application | ServicePrincipal> {
    return this.store.transaction(async (store) => {
      if (item.type === "application") {
        await restoreApplication(store, item.body);
        const together = (await store.deletedItems.list(item.tenantId, "servicePrincipal")).find((s) => s.type === "servicePrincipal" && s.body.withApplication === item.id);
        if (together?.type === "servicePrincipal" && !(await store.servicePrincipals.getByAppId(item.tenantId, together.body.servicePrincipal.appId))) {
          await restoreServicePrincipal(store, together.body);
          await store.deletedItems.remove(together.id);
        }
        await store.deletedItems.remove(item.id);
        return item.body.application;
      }
      const { servicePrincipal } = item.body;
      if (await store.servicePrincipals.getByAppId(item.tenantId, servicePrincipal.appId)) {
        throw new GraphError(409, "Request_MultipleObjectsWithSameKeyValue", `The service principal cannot be created, updated, or restored because the service principal name ${servicePrincipal.appId} is already in use.`);
      }
      await restoreServicePrincipal(store, item.body);
      await store.deletedItems.remove(item.id);
      return servicePrincipal;
    });
  }

  /** Deletes for good (`DELETE directory/deletedItems/{id}`). */
  async purge(item: DeletedItem): Promise<void> {
    await this.store.deletedItems.remove(item.id);
  }

  private purgeExpired(): Promise<void> {
    return this.store.deletedItems.purgeBefore(new Date(this.clock.nowMs() - RETENTION_MS).toISOString());
  }
}

async function restoreApplication(store: Store, body: DeletedApplication): Promise<void> {
  const { application } = body;
  await store.applications.insert(application);
  for (const p of body.passwords) await store.applications.insertPassword(p);
  for (const k of body.keys) await store.applications.insertKey(k);
  for (const f of body.federated) await store.applications.insertFederated(f);
  for (const o of body.owners) await store.applications.addOwner(application.id, o, application.tenantId);
}

async function restoreServicePrincipal(store: Store, body: DeletedServicePrincipal): Promise<void> {
  const { servicePrincipal } = body;
  await store.servicePrincipals.insert(servicePrincipal);
  for (const a of body.appRoleAssignments) await store.servicePrincipals.insertAppRoleAssignment(a);
  for (const f of body.federated) await store.applications.insertFederated(f);
  for (const o of body.owners) await store.applications.addOwner(servicePrincipal.id, o, servicePrincipal.tenantId);
}
