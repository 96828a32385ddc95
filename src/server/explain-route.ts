import type { AccessToken, TokenCredential } from "@azure/identity";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { sdkDoctorTarget } from "../clients/doctor-target.js";
import type { Clock } from "../core/clock.js";
import { SVCCONN_VERSION } from "../core/version.js";
import { DevOpsError } from "../devops/errors.js";
import { explain } from "../doctor/explain.js";
import { toHtml } from "../doctor/scan/html.js";
import { toSarif } from "../doctor/scan/sarif.js";
import { scan } from "../doctor/scan/scan.js";

const explainBody = z.object({ text: z.string().max(200_000) });
const scanBody = z
  .object({
    organization: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/),
    project: z.string().min(1).max(256).optional(),
    expiringDays: z.number().int().min(0).max(3650).default(30),
    unusedDays: z.number().int().min(0).max(3650).default(90),
    format: z.enum(["json", "sarif", "html"]).default("json"),
    /** The person's access tokens for Microsoft Graph and Azure Resource Manager; checks needing a missing one are listed as not evaluated. */
    tokens: z.object({ graph: z.string().max(20_000).optional(), arm: z.string().max(20_000).optional() }).strict().default({}),
  })
  .strict();

const argument = (message: string) => new DevOpsError(400, "ArgumentException", message, "System.ArgumentException, mscorlib");

/** A token handed in by the caller, for the one resource it was issued for. */
function presentedToken(token: string | undefined, resource: string): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      if (!token) throw Object.assign(new Error(`no access token for ${resource} was given (tokens.${resource === "Microsoft Graph" ? "graph" : "arm"})`), { statusCode: 401 });
      return { token, expiresOnTimestamp: Date.now() + 5 * 60_000 };
    },
  };
}

/**
 * The doctor on the devops listener, for the web UI: `POST /_svcconn/explain` (`{"text"}` in, the explanation out)
 * and `POST /_svcconn/doctor/scan`, which scans as the caller — their Azure DevOps credential for the organization,
 * their Graph and ARM tokens for the rest — through the same SDK calls as `svcconn doctor scan`, against this
 * server's own listeners (never a host named by the request).
 */
export function doctorRoutes(app: FastifyInstance, clock: Clock, ownUrls?: () => { devops: string; graph: string; arm: string; caFile?: string }): void {
  app.post("/_svcconn/explain", async (request) => {
    const parsed = explainBody.safeParse(request.body);
    if (!parsed.success) throw argument("The body must be a JSON object with a string property 'text'.");
    return explain(parsed.data.text);
  });

  app.post("/_svcconn/doctor/scan", async (request, reply) => {
    const parsed = scanBody.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw argument(`The scan request is not valid: ${issue.path.join(".") || "body"}: ${issue.message}.`);
    }
    const authorization = request.headers.authorization ?? "";
    const basic = /^basic\s+(.+)$/i.exec(authorization);
    const bearer = /^bearer\s+(.+)$/i.exec(authorization);
    const pat = basic ? Buffer.from(basic[1]!, "base64").toString("utf8").split(":").slice(1).join(":") : undefined;
    if (!pat && !bearer) throw new DevOpsError(401, "UnauthorizedRequestException", "TF400813: The user '' is not authorized to access this resource.", "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server", 0);
    const urls = ownUrls?.();
    if (!urls) throw argument("The scan is not available on a server that does not listen.");
    const { organization, project, expiringDays, unusedDays, format, tokens } = parsed.data;
    const organizationUrl = `${urls.devops.replace(/\/$/, "")}/${organization}`;
    // Each call names its own resource: Graph's and ARM's clients ask this credential for their own scope.
    const credential: TokenCredential = {
      getToken: (scopes) => {
        const scope = String(Array.isArray(scopes) ? scopes[0] : scopes);
        return /graph/i.test(scope) ? presentedToken(tokens.graph, "Microsoft Graph").getToken(scopes) : presentedToken(tokens.arm, "Azure Resource Manager").getToken(scopes);
      },
    };
    const target = sdkDoctorTarget({ organizationUrl, pat, devopsToken: bearer?.[1], credential, graphUrl: urls.graph, armUrl: urls.arm, caFile: urls.caFile });
    let report: Awaited<ReturnType<typeof scan>>;
    try {
      report = await scan(target, { now: clock.now(), project, expiringDays, unusedDays });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // The organization refused the caller's own credential: say so as Azure DevOps does, with its text.
      if (/TF400813/.test(message)) throw new DevOpsError(401, "UnauthorizedRequestException", message, "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server", 0);
      throw argument(message);
    }
    if (format === "sarif") return toSarif(report, { organizationUrl, version: SVCCONN_VERSION });
    if (format === "html") return reply.type("text/html; charset=utf-8").send(toHtml(report, { organizationUrl, expiringDays }));
    return report;
  });
}
