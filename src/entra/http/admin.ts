import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AdminError } from "../../core/errors.js";
import type { EntraService } from "../service.js";

const signOutBody = z.object({ user: z.string().min(1), tenant: z.string().min(1).optional() }).strict();

/**
 * `POST /_admin/sessions/sign-out` on the login listener: signs a person out of every session, as the admin
 * center's "Revoke sessions" does (what `svcconn logout` calls).
 */
export function entraAdminRoutes(app: FastifyInstance, entra: EntraService, requireKey: (request: never) => Promise<void>): void {
  app.post("/_admin/sessions/sign-out", { onRequest: requireKey as never }, async (request) => {
    const parsed = signOutBody.safeParse(request.body);
    if (!parsed.success) throw new AdminError(400, "InvalidSignOut", 'The body must be {"user": "<user principal name or object id>", "tenant": "<optional tenant id or domain>"}.');
    const tenants = parsed.data.tenant ? [await entra.directory.resolveTenant(parsed.data.tenant)] : await entra.directory.tenants();
    for (const tenant of tenants) {
      if (tenant === "multi") continue;
      const user = await entra.directory.findUser(tenant.id, parsed.data.user);
      if (user?.userType !== "Member") continue;
      const revoked = await entra.signIn.signOut(user);
      return { user: user.userPrincipalName, tenantId: tenant.id, revokedSessions: revoked };
    }
    throw new AdminError(404, "UserNotFound", `No member account '${parsed.data.user}' in ${parsed.data.tenant ? `tenant '${parsed.data.tenant}'` : "any tenant"}.`);
  });
}
