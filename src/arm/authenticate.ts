import type { Clock } from "../core/clock.js";
import type { ArmCaller } from "./authorize.js";
import { armErrors } from "./errors.js";
import type { AccessTokenValidator } from "./ports.js";

/**
 * Reads the bearer token of an ARM call: signature against the tenants' keys, expiry on the clock, one of the
 * four management audiences. The issuer-tenant check needs the subscription and happens in the service.
 */
export async function authenticateArm(header: string | undefined, tokens: AccessTokenValidator, clock: Clock): Promise<ArmCaller> {
  if (!header) throw armErrors.missingAuthorization();
  const match = /^bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw armErrors.invalidAuthorizationHeader();
  const check = await tokens.check(match[1]!);
  if (!check.ok) {
    if (check.problem === "expired") throw armErrors.expiredToken(check.claims.exp * 1000, clock.nowMs(), check.claims.tid);
    throw armErrors.invalidToken();
  }
  const claims = check.claims;
  if (!check.forArm) throw armErrors.wrongAudience(claims.aud, claims.tid);
  const isApp = claims.idtyp === "app" || (!claims.scp && !claims.upn);
  return {
    tenantId: claims.tid,
    objectId: claims.oid,
    clientLabel: isApp ? String(claims.appid ?? claims.azp ?? claims.oid) : String(claims.upn ?? claims.unique_name ?? claims.oid),
    kind: isApp ? "app" : "user",
  };
}
