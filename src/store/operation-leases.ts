import type { HeldOperation, LeaseStore, OperationKind } from "../core/leases.js";
import type { Db } from "./database.js";

const COLUMNS = ["kind", "id", "owner", "leaseUntil", "body"] as const;

/** Leases on work under way (`core/leases.ts`): each change one statement, conditional on the owner or expiry. */
export class OperationLeaseRepository implements LeaseStore {
  constructor(private readonly db: Db) {}

  async hold(op: HeldOperation): Promise<void> {
    await this.db
      .insertInto("operationLeases")
      .values({ kind: op.kind, id: op.id, owner: op.owner, leaseUntil: op.leaseUntil, body: op.body })
      .onConflict((oc) => oc.columns(["kind", "id"]).doUpdateSet({ owner: op.owner, leaseUntil: op.leaseUntil, body: op.body }))
      .execute();
  }

  async holdIfFree(op: HeldOperation): Promise<boolean> {
    const result = await this.db
      .insertInto("operationLeases")
      .values({ kind: op.kind, id: op.id, owner: op.owner, leaseUntil: op.leaseUntil, body: op.body })
      .onConflict((oc) => oc.columns(["kind", "id"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async setBody(kind: OperationKind, id: string, owner: string, body: string): Promise<void> {
    await this.db.updateTable("operationLeases").set({ body }).where("kind", "=", kind).where("id", "=", id).where("owner", "=", owner).execute();
  }

  async release(kind: OperationKind, id: string, owner: string): Promise<void> {
    await this.db.deleteFrom("operationLeases").where("kind", "=", kind).where("id", "=", id).where("owner", "=", owner).execute();
  }

  async giveUp(kind: OperationKind, id: string, owner: string): Promise<void> {
    await this.db.updateTable("operationLeases").set({ owner: "", leaseUntil: 0 }).where("kind", "=", kind).where("id", "=", id).where("owner", "=", owner).execute();
  }

  async renew(owner: string, leaseUntil: number): Promise<void> {
    await this.db.updateTable("operationLeases").set({ leaseUntil }).where("owner", "=", owner).execute();
  }

  async requestCancel(kind: OperationKind, id: string): Promise<boolean> {
    const result = await this.db.updateTable("operationLeases").set({ cancelRequested: 1 }).where("kind", "=", kind).where("id", "=", id).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async cancelRequested(owner: string): Promise<HeldOperation[]> {
    return (await this.db.selectFrom("operationLeases").select(COLUMNS).where("owner", "=", owner).where("cancelRequested", "=", 1).execute()) as HeldOperation[];
  }

  async lapsed(owner: string, now: number): Promise<HeldOperation[]> {
    let query = this.db.selectFrom("operationLeases").select(COLUMNS).where("owner", "<>", owner);
    if (Number.isFinite(now)) query = query.where("leaseUntil", "<", now);
    return (await query.orderBy("leaseUntil").limit(100).execute()) as HeldOperation[];
  }

  async take(op: HeldOperation, owner: string, leaseUntil: number): Promise<boolean> {
    const result = await this.db
      .updateTable("operationLeases")
      .set({ owner, leaseUntil })
      .where("kind", "=", op.kind)
      .where("id", "=", op.id)
      .where("owner", "=", op.owner)
      .where("leaseUntil", "=", op.leaseUntil)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async held(kind: OperationKind): Promise<HeldOperation[]> {
    return (await this.db.selectFrom("operationLeases").select(COLUMNS).where("kind", "=", kind).execute()) as HeldOperation[];
  }
}
