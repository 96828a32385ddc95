import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AdminError } from "../../core/errors.js";
import type { DevOpsService } from "../service.js";

const organizationChanges = z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,48}[A-Za-z0-9]?$/).optional(), federationIssuer: z.enum(["entra", "devops"]).optional(), serverMode: z.boolean().optional() }).strict();

/**
 * `PATCH /_admin/organizations/{org}` on the devops listener: rename an organization (which changes the legacy
 * federation subject of its connections, as in Azure DevOps), choose its federation issuer form, or switch it to
 * Azure DevOps Server 2022 behaviour.
 */
export function devopsAdminRoutes(app: FastifyInstance, devops: DevOpsService, requireKey: (request: never) => Promise<void>): void {
  app.patch<{ Params: { org: string } }>("/_admin/organizations/:org", { onRequest: requireKey as never }, async (request) => {
    const parsed = organizationChanges.safeParse(request.body);
    if (!parsed.success) throw new AdminError(400, "InvalidOrganizationChange", 'The body may set "name", "federationIssuer" ("entra" or "devops") and "serverMode" (boolean).');
    const org = await devops.findOrganization(request.params.org);
    if (!org) throw new AdminError(404, "OrganizationNotFound", `No organization '${request.params.org}'.`);
    if (parsed.data.name && (await devops.findOrganization(parsed.data.name)) && parsed.data.name.toLowerCase() !== org.name.toLowerCase()) {
      throw new AdminError(409, "OrganizationExists", `An organization named '${parsed.data.name}' already exists.`);
    }
    return devops.changeOrganization(org, parsed.data);
  });
}
