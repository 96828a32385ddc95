import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../core/clock.js";
import type { DevOpsService } from "../devops/service.js";
import { AZURE_DEVOPS_APP_ID } from "../entra/token/token-audiences.js";
import { planeForHost } from "./real-hosts.js";
import type { WebConfig } from "./web-config.js";

/** `web/dist`, built by `npm run build` (Vite); the same relative place from `src/server` and `dist/server`. */
export const WEB_DIST = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "web", "dist");
const ASSET_PREFIX = "/_static/svcconn/assets/";

/**
 * The web UI on the DevOps listener, at the paths Azure DevOps uses (project settings' service connections, a
 * build's results), plus svcconn's own pages (doctor, emulator). The page is static; the server only fills in the
 * organization's tenant and the sign-in authority. It signs the person in with PKCE and then calls the public REST
 * APIs with that person's token, so the UI can do exactly what their rights allow.
 */
export function webUiRoutes(app: FastifyInstance, deps: { devops: DevOpsService; clock: Clock; loginBase: () => string; graphBase: () => string; armBase: () => string }, dist = WEB_DIST): void {
  const { devops, clock } = deps;
  const indexFile = join(dist, "index.html");
  const built = existsSync(indexFile);
  let template: string | undefined;
  if (built) {
    void app.register(fastifyStatic, { root: join(dist, "assets"), prefix: ASSET_PREFIX, decorateReply: false, immutable: true, maxAge: "365d", index: false, wildcard: true });
  }

  const page = async (request: FastifyRequest<{ Params: { org?: string; project?: string }; Querystring: { project?: string } }>, reply: FastifyReply) => {
    if (!built) {
      return reply.status(503).type("text/plain; charset=utf-8").send("The svcconn web UI is not built: run `npm run build` (it builds web/ with Vite).");
    }
    template ??= readFileSync(indexFile, "utf8");
    const { org } = request.params;
    // Organization pages (the emulator panel) keep the project the person came from, for the way back.
    const project = request.params.project ?? (typeof request.query.project === "string" && request.query.project.length <= 256 ? request.query.project : undefined);
    let tenantId = "organizations";
    if (org) tenantId = (await devops.identities.organization(org)).tenantId;
    // Through the real-host proxy the page is dev.azure.com, and signs in at login.microsoftonline.com.
    const realHost = planeForHost(String(request.headers.host ?? "").split(":")[0]!) === "devops";
    const login = realHost ? "https://login.microsoftonline.com" : deps.loginBase();
    const graph = realHost ? "https://graph.microsoft.com" : deps.graphBase();
    const arm = realHost ? "https://management.azure.com" : deps.armBase();
    const config: WebConfig = {
      organization: org ?? "",
      ...(project ? { project } : {}),
      tenantId,
      authority: `${login}/${tenantId}`,
      clientId: AZURE_DEVOPS_APP_ID,
      devopsScope: `${AZURE_DEVOPS_APP_ID}/.default`,
      armScope: "https://management.azure.com/.default",
      graphScope: "https://graph.microsoft.com/.default",
      graphUrl: graph,
      armUrl: arm,
      now: clock.now().toISOString(),
    };
    // `<` is escaped so nothing in a name can close the script element.
    const json = JSON.stringify(config).replace(/</g, "\\u003c");
    const html = template.replace("<!--svcconn-config-->", `<script id="svcconn-config" type="application/json">${json}</script>`);
    const loginOrigin = new URL(login).origin;
    const graphOrigin = new URL(graph).origin;
    const armOrigin = new URL(arm).origin;
    return reply
      .type("text/html; charset=utf-8")
      .headers({
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        // Scripts only from this origin; the sign-in's token calls go to the login listener. Framed only by itself
        // (MSAL's hidden iframe for silent sign-in loads the authorize endpoint and lands on /_signedin). Fluent UI's styles are
        // inserted at run time, hence inline styles.
        "content-security-policy": `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ${loginOrigin} ${graphOrigin} ${armOrigin}; frame-src 'self' ${loginOrigin}; frame-ancestors 'self'; form-action 'self' ${loginOrigin}; base-uri 'none'`,
      })
      .send(html);
  };
  app.get("/:org/:project/_settings/adminservices", page);
  app.get("/:org/:project/_build/results", page);
  app.get("/:org/:project/_svcconn/doctor", page);
  app.get("/:org/_svcconn/emulator", page);
  // The single-page-app redirect URI of the sign-in: the page finishes the code exchange and goes back.
  app.get("/_signedin", page);
}
