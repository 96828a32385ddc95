import type { AuthorizationCode, UserSession } from "../entra/model.js";
import type { Db } from "./database.js";

/** Users' sign-in sessions (refresh tokens, hashed) and pending authorization codes. */
export class SessionRepository {
  constructor(private readonly db: Db) {}

  async insert(session: UserSession): Promise<void> {
    await this.db.insertInto("userSessions").values(session).execute();
  }

  /** The session a refresh token belongs to: its newest, or one it returned earlier (they stay valid with it). */
  async byRefreshHash(hash: string): Promise<UserSession | undefined> {
    const current = await this.db.selectFrom("userSessions").selectAll().where("refreshHash", "=", hash).executeTakeFirst();
    if (current) return current;
    const retired = await this.db.selectFrom("retiredRefreshTokens").select("sessionId").where("refreshHash", "=", hash).executeTakeFirst();
    return retired ? this.get(retired.sessionId) : undefined;
  }

  async get(id: string): Promise<UserSession | undefined> {
    return this.db.selectFrom("userSessions").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** A person's sessions, newest first. */
  async forAccount(accountKey: string): Promise<UserSession[]> {
    return this.db.selectFrom("userSessions").selectAll().where("accountKey", "=", accountKey).orderBy("createdAt", "desc").orderBy("id", "desc").execute();
  }

  /** Marks the session used; a new refresh token becomes its newest and the one it replaces is kept as retired. */
  async touch(session: Pick<UserSession, "id" | "refreshHash">, refreshHash: string, lastUsedAt: string): Promise<void> {
    if (session.refreshHash !== refreshHash) {
      await this.db.insertInto("retiredRefreshTokens").values({ refreshHash: session.refreshHash, sessionId: session.id }).onConflict((oc) => oc.column("refreshHash").doNothing()).execute();
    }
    await this.db.updateTable("userSessions").set({ refreshHash, lastUsedAt }).where("id", "=", session.id).execute();
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
