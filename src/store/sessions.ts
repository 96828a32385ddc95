import type { AuthorizationCode, UserSession } from "../entra/model.js";
import type { Db } from "./database.js";

/** Users' sign-in sessions (refresh tokens, hashed) and pending authorization codes. */
export class SessionRepository {
  constructor(private readonly db: Db) {}

  async insert(session: UserSession): Promise<void> {
    await this.db.insertInto("userSessions").values(session).execute();
  }

  async byRefreshHash(hash: string): Promise<UserSession | undefined> {
    return this.db.selectFrom("userSessions").selectAll().where("refreshHash", "=", hash).executeTakeFirst();
  }

  async get(id: string): Promise<UserSession | undefined> {
    return this.db.selectFrom("userSessions").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** A person's sessions, newest first. */
  async forAccount(accountKey: string): Promise<UserSession[]> {
    return this.db.selectFrom("userSessions").selectAll().where("accountKey", "=", accountKey).orderBy("createdAt", "desc").orderBy("id", "desc").execute();
  }

  async touch(id: string, refreshHash: string, lastUsedAt: string): Promise<void> {
    await this.db.updateTable("userSessions").set({ refreshHash, lastUsedAt }).where("id", "=", id).execute();
  }

  async revokeAccount(accountKey: string, revokedAt: string): Promise<number> {
    const result = await this.db.updateTable("userSessions").set({ revokedAt }).where("accountKey", "=", accountKey).where("revokedAt", "is", null).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async insertCode(code: AuthorizationCode): Promise<void> {
    await this.db.insertInto("authorizationCodes").values(code).execute();
  }

  async code(codeHash: string): Promise<AuthorizationCode | undefined> {
    return this.db.selectFrom("authorizationCodes").selectAll().where("codeHash", "=", codeHash).executeTakeFirst();
  }

  async redeemCode(codeHash: string, redeemedAt: string): Promise<void> {
    await this.db.updateTable("authorizationCodes").set({ redeemedAt }).where("codeHash", "=", codeHash).execute();
  }
}
