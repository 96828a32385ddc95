import fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { DeploymentEngine } from "../arm/deployments.js";
import { armDialect } from "../arm/http/dialect.js";
import { armRoutes } from "../arm/http/routes.js";
import type { ArmService } from "../arm/service.js";
import type { Clock } from "../core/clock.js";
import type { Plane } from "../core/config.js";
import type { Logger } from "../core/logging.js";
import { devopsDialect } from "../devops/http/dialect.js";
import { doctorRoutes } from "./explain-route.js";
import { webUiRoutes } from "./web-ui.js";
import { emulatorRoutes } from "./emulator-route.js";
import { devopsAdminRoutes } from "../devops/http/admin.js";
import { devopsRoutes } from "../devops/http/routes.js";
import type { DevOpsService } from "../devops/service.js";
import { pipelinesAdminRoutes } from "../pipelines/http/admin.js";
import { pipelinesRoutes } from "../pipelines/http/routes.js";
import type { PipelinesService } from "../pipelines/service.js";
import { graphDialect } from "../entra/http/graph/dialect.js";
import { graphRoutes, normaliseGraphUrl } from "../entra/http/graph/routes.js";
import { imdsDialect } from "../entra/http/imds/dialect.js";
import { imdsProxyRequest, imdsRoutes } from "../entra/http/imds/routes.js";
import { entraDialect } from "../entra/http/login/dialect.js";
import { loginRoutes } from "../entra/http/login/routes.js";
import type { EntraService } from "../entra/service.js";
import { adminKeyCheck, adminRoutes, healthRoute } from "./admin.js";
import { entraAdminRoutes } from "../entra/http/admin.js";
import type { TlsMaterial } from "./tls.js";
import { vaultDialect } from "../keyvault/http/dialect.js";
import { vaultRoutes } from "../keyvault/http/routes.js";
import type { KeyVaultService } from "../keyvault/service.js";
import type { VaultEndpoints } from "./vault-endpoints.js";
import { organizationOfHost, planeForHost, vaultOfHost } from "./real-hosts.js";
import { acceptJson, speak, type WireDialect } from "../http/wire.js";

export interface ServerDeps {
  clock: Clock;
  logger: Logger;
  adminKey: string;
  entra: EntraService;
  arm: ArmService;
  deployments: DeploymentEngine;
  devops: DevOpsService;
  pipelines: PipelinesService;
  keyVault: KeyVaultService;
  /** Where each vault answers (its own port by svcconn's URL, its host through the proxy) and where calls come from. */
  vaultEndpoints: VaultEndpoints;
  /** Certificate and key for the HTTPS listeners; plain HTTP when absent. */
  tls?: TlsMaterial;
  /** The login listener's base URL once it listens (managed-identity tokens name it). */
  loginBase: () => string;
  graphBase: () => string;
  armBase: () => string;
  /** Where this server's own listeners answer, and the CA that signed them: the doctor's scan route calls them. */
  ownUrls?: () => { devops: string; graph: string; arm: string; caFile?: string };
}

export type Listeners = Record<Plane, FastifyInstance>;

/** One megabyte, like the real services' limits for these APIs; larger bodies get the plane's own error. */
const BODY_LIMIT = 1024 * 1024;

/** Builds every listener with its routes, without listening: tests use `inject()` on them. */
export function buildServer(deps: ServerDeps): Listeners {
  interface ListenerOptions {
    secure: boolean;
    caseSensitive?: boolean;
    exposeHeadRoutes?: boolean;
    rewriteUrl?: (url: string, headers: Record<string, string | string[] | undefined>) => string;
  }
  const make = (plane: Plane, dialect: WireDialect, { secure, caseSensitive = true, exposeHeadRoutes = true, rewriteUrl }: ListenerOptions): FastifyInstance => {
    const app = fastify({
      ...(rewriteUrl ? { rewriteUrl: (request: { url?: string; headers: Record<string, string | string[] | undefined> }) => rewriteUrl(request.url ?? "/", request.headers) } : {}),
      // What the framework refuses before routing (a path that is not valid percent-encoding, say) is answered
      // in the service's own format too.
      frameworkErrors: (_error, request, reply) => {
        dialect.render(dialect.badRequest("The request URL is not valid."), request as FastifyRequest, reply as FastifyReply);
      },
      ...(secure && deps.tls ? { https: { key: deps.tls.key, cert: deps.tls.cert } } : {}),
      loggerInstance: deps.logger.child({ plane }),
      logController: new LogController({ disableRequestLogging: true }),
      exposeHeadRoutes,
      bodyLimit: BODY_LIMIT,
      // ARM ids can be long.
      routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true, caseSensitive, maxParamLength: 2048 },
    }) as unknown as FastifyInstance;
    speak(app, dialect, { clock: deps.clock, logger: deps.logger });
    acceptJson(app, dialect);
    // The instance-metadata listener is plain HTTP and answers any local process: it gets health, not the admin API.
    if (plane === "imds") healthRoute(app, plane, deps.clock);
    else adminRoutes(app, plane, deps.clock, deps.adminKey);
    return app;
  };

  const login = make("login", entraDialect(deps.clock), { secure: true });
  loginRoutes(login, deps.entra);
  entraAdminRoutes(login, deps.entra, adminKeyCheck(deps.adminKey));
    // Graph matches path segments case-insensitively, and keys inside a segment (`applications(appId='…')`).
  const graph = make("graph", graphDialect(deps.clock), { secure: true, caseSensitive: false, exposeHeadRoutes: false, rewriteUrl: normaliseGraphUrl });
  graphRoutes(graph, deps.entra.graph);
  // ARM paths are case-insensitive and HEAD is its own operation there (resource group existence).
  const arm = make("arm", armDialect(deps.loginBase), { secure: true, caseSensitive: false, exposeHeadRoutes: false });
  armRoutes(arm, {
    arm: deps.arm,
    deployments: deps.deployments,
    urls: () => ({ login: deps.loginBase(), graph: deps.graphBase() }),
    // Through Microsoft's host a vault is `https://{name}.vault.azure.net/`; by svcconn's URL, its own port.
    vaultUri: (name, host) => (planeForHost(host) === "arm" ? Promise.resolve(`https://${name.toLowerCase()}.vault.azure.net/`) : deps.vaultEndpoints.uri(name, host)),
  });
  // Azure DevOps matches URL segments (and project names) case-insensitively.
  // `https://{org}.visualstudio.com/…` (the older organization URL, through the real-host proxy) carries the
  // organization in its host: the same routes as `dev.azure.com/{org}/…`.
  const devops = make("devops", devopsDialect, {
    secure: true,
    caseSensitive: false,
    rewriteUrl: (url, headers) => {
      const org = organizationOfHost(String(headers.host ?? ""));
      return org ? `/${org}${url.startsWith("/") ? url : `/${url}`}` : url;
    },
  });
  doctorRoutes(devops, deps.clock, deps.ownUrls);
  devopsAdminRoutes(devops, deps.devops, adminKeyCheck(deps.adminKey));
  devopsRoutes(devops, deps.devops);
  pipelinesRoutes(devops, deps.pipelines);
  pipelinesAdminRoutes(devops, deps.pipelines, adminKeyCheck(deps.adminKey));
  emulatorRoutes(devops, deps.devops, deps.clock);
  webUiRoutes(devops, { devops: deps.devops, clock: deps.clock, loginBase: deps.loginBase, graphBase: deps.graphBase, armBase: deps.armBase });
  const imds = make("imds", imdsDialect, { secure: false, rewriteUrl: imdsProxyRequest });
  imdsRoutes(imds, deps.entra, deps.loginBase);
  // A 401's challenge sends clients to sign in where they reached svcconn: Microsoft's host or svcconn's URL.
  const signInAuthority = (request: FastifyRequest) => (vaultOfHost(String(request.headers.host ?? "")) ? "https://login.microsoftonline.com" : deps.loginBase());
  const vault = make("vault", vaultDialect(signInAuthority), { secure: true, caseSensitive: false, exposeHeadRoutes: false });
  vaultRoutes(vault, { keyVault: deps.keyVault, vaultOf: (r) => deps.vaultEndpoints.vaultOf(r), originOf: (r) => deps.vaultEndpoints.originOf(r) });
  return { login, graph, arm, devops, imds, vault };
}
