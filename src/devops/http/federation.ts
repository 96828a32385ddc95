import type { FastifyInstance, } from "fastify";
import { baseUrl } from "../../http/wire.js";
import type { DevOpsService } from "../service.js";

/** Workload identity federation: the legacy issuer's discovery and keys (the job OIDC token is the pipelines plane's). */
export function federationRoutes(app: FastifyInstance, devops: DevOpsService): void {
  // The legacy Azure DevOps issuer (vstoken): discovery and keys, by organization id, without authentication.
  app.get<{ Params: { orgId: string } }>("/:orgId/.well-known/openid-configuration", async (request) => {
    const org = await devops.identities.organization(request.params.orgId);
    return devops.federation.discovery(org, baseUrl(request));
  });
  app.get<{ Params: { orgId: string } }>("/:orgId/.well-known/jwks", async (request) => devops.federation.jwks(await devops.identities.organization(request.params.orgId)));
}
