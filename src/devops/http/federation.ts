import type { FastifyInstance, } from "fastify";
import { baseUrl } from "../../http/wire.js";
import type { DevOpsService } from "../service.js";
import { devopsHttp, } from "./shared.js";

/** Workload identity federation: the job OIDC token, and the legacy issuer's discovery and keys. */
export function federationRoutes(app: FastifyInstance, devops: DevOpsService): void {
  const { route } = devopsHttp(devops);
  app.post(
    "/:org/:project/_apis/distributedtask/hubs/:hub/plans/:planId/jobs/:jobId/oidctoken",
    route(true, async (request, _reply, caller) => ({ oidcToken: await devops.oidcToken(caller, request.params.project!, request.query.serviceConnectionId) })),
  );
  // The legacy Azure DevOps issuer (vstoken): discovery and keys, by organization id, without authentication.
  app.get<{ Params: { orgId: string } }>("/:orgId/.well-known/openid-configuration", async (request) => {
    const org = await devops.identities.organization(request.params.orgId);
    return devops.federation.discovery(org, baseUrl(request));
  });
  app.get<{ Params: { orgId: string } }>("/:orgId/.well-known/jwks", async (request) => devops.federation.jwks(await devops.identities.organization(request.params.orgId)));
}
