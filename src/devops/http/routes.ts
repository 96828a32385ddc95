import type { FastifyInstance } from "fastify";
import type { DevOpsService } from "../service.js";
import { coreRoutes } from "./core.js";
import { endpointProxyRoutes } from "./endpoint-proxy.js";
import { endpointRoutes } from "./endpoints.js";
import { federationRoutes } from "./federation.js";
import { permissionRoutes } from "./permissions.js";
import { securityRoleRoutes } from "./security-roles.js";
import { variableGroupRoutes } from "./variable-groups.js";
import { environmentRoutes } from "./environments.js";
import { checkRoutes } from "./checks.js";

/**
 * Azure DevOps' REST surface for organizations, projects, security roles, service connections, pipeline
 * permissions and job OIDC tokens, one module per area. Routes translate the wire form; the DevOps service decides.
 */
export function devopsRoutes(app: FastifyInstance, devops: DevOpsService): void {
  coreRoutes(app, devops);
  endpointRoutes(app, devops);
  endpointProxyRoutes(app, devops);
  permissionRoutes(app, devops);
  securityRoleRoutes(app, devops);
  variableGroupRoutes(app, devops);
  environmentRoutes(app, devops);
  checkRoutes(app, devops);
  federationRoutes(app, devops);
}
