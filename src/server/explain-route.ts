import type { AccessToken, TokenCredential } from "@azure/identity";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Clock } from "../core/clock.js";
import { SVCCONN_VERSION } from "../core/version.js";
import { DevOpsError } from "../devops/errors.js";

/**
 * The doctor loads on its first use, not at every start: its model, catalog and scan (and the SDKs the scan drives)
 * are a large part of what the server would otherwise load before it is ready.
 */
const doctor = () => Promise.all([import("../doctor/explain.js"), import("../doctor/pasted-log.js"), import("../doctor/scan/scan.js"), import("../doctor/fix/plan.js")]);
const reports = () => Promise.all([import("../doctor/scan/html.js"), import("../doctor/scan/sarif.js")]);

/** A whole pasted log is welcome (explain reads at most its last 2 MB); task and scheme as `svcconn explain` takes them. */
const explainBody = z.object({ text: z.string().max(2_000_000), task: z.string().max(200).optional(), scheme: z.string().max(60).optional() });
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

const fixBody = scanBody
  .omit({ format: true })
  .extend({
    /** Finding ids from a scan (`{kind}/{id}`); at least one: the route never fixes "everything" by default. */
    findings: z.array(z.string().min(3).max(300)).min(1).max(100),
    apply: z.boolean().default(false),
    convert: z.boolean().default(false),
  })
  .strict();

const unauthorized = (message: string) =>
  new DevOpsError(401, "UnauthorizedRequestException", message, "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server", 0);
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
 * `POST /_svcconn/doctor/scan`, which scans as the caller — their Azure DevOps credential for the organization,
 * their Graph and ARM tokens for the rest — through the same SDK calls as `svcconn doctor scan`, against this
 * server's own listeners (never a host named by the request), and `POST /_svcconn/doctor/fix`, its fixes, as that caller.
 */
export function doctorRoutes(app: FastifyInstance, clock: Clock, ownUrls?: () => { devops: string; graph: string; arm: string; caFile?: string }): void {
  app.post("/_svcconn/explain", { bodyLimit: 8 * 1024 * 1024 }, async (request) => {
    const parsed = explainBody.safeParse(request.body);
    if (!parsed.success) throw argument("The body must be a JSON object with a string property 'text' (at most 2 000 000 characters) and optional strings 'task' and 'scheme'.");
    const [{ explain }, { UnknownScheme }] = await doctor();
    try {
      return explain(parsed.data.text, { task: parsed.data.task, scheme: parsed.data.scheme });
    } catch (error) {
      if (error instanceof UnknownScheme) throw argument(error.message);
      throw error;
    }
  });

  /** The organization as the caller sees it: their DevOps credential, their Graph and ARM tokens, this server's URLs. */
  const callersTarget = async (authorization: string, organization: string, tokens: { graph?: string; arm?: string }) => {
    const basic = /^basic\s+(.+)$/i.exec(authorization);
    const bearer = /^bearer\s+(.+)$/i.exec(authorization);
    const pat = basic ? Buffer.from(basic[1]!, "base64").toString("utf8").split(":").slice(1).join(":") : undefined;
    if (!pat && !bearer) throw unauthorized("TF400813: The user '' is not authorized to access this resource.");
    const urls = ownUrls?.();
    if (!urls) throw argument("The scan is not available on a server that does not listen.");
    const organizationUrl = `${urls.devops.replace(/\/$/, "")}/${organization}`;
    // Each call names its own resource: Graph's and ARM's clients ask this credential for their own scope.
    const credential: TokenCredential = {
      getToken: (scopes) => {
        const scope = String(Array.isArray(scopes) ? scopes[0] : scopes);
        return /graph/i.test(scope) ? presentedToken(tokens.graph, "Microsoft Graph").getToken(scopes) : presentedToken(tokens.arm, "Azure Resource Manager").getToken(scopes);
      },
    };
    // The SDKs load on the first scan, not at every start (they are most of the server's modules).
    const { sdkDoctorTarget } = await import("../clients/doctor-target.js");
    const target = sdkDoctorTarget({ organizationUrl, pat, devopsToken: bearer?.[1], credential, graphUrl: urls.graph, armUrl: urls.arm, caFile: urls.caFile });
    return { target, organizationUrl };
  };
  const scanAs = async (target: Awaited<ReturnType<typeof callersTarget>>["target"], options: { project?: string; expiringDays: number; unusedDays: number }) => {
    const [, , { scan }] = await doctor();
    try {
      return await scan(target, { now: clock.now(), ...options });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // The organization refused the caller's own credential: say so as Azure DevOps does, with its text.
      if (/TF400813/.test(message)) throw unauthorized(message);
      throw argument(message);
    }
  };
  const parse = <T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, body: unknown, what: string): T => {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw argument(`The ${what} request is not valid: ${issue.path.join(".") || "body"}: ${issue.message}.`);
    }
    return parsed.data;
  };

  app.post("/_svcconn/doctor/scan", async (request, reply) => {
    const { organization, project, expiringDays, unusedDays, format, tokens } = parse(scanBody, request.body, "scan");
    const { target, organizationUrl } = await callersTarget(request.headers.authorization ?? "", organization, tokens);
    const report = await scanAs(target, { project, expiringDays, unusedDays });
    const [{ toHtml }, { toSarif }] = await reports();
    if (format === "sarif") return toSarif(report, { organizationUrl, version: SVCCONN_VERSION });
    if (format === "html") return reply.type("text/html; charset=utf-8").send(toHtml(report, { organizationUrl, expiringDays }));
    return report;
  });

  // Fix findings of a fresh scan: the plan (every call, with the objects before and after) unless `apply` is true,
  // then the outcome of each fix — done whole or taken back — as `svcconn doctor fix` does.
  app.post("/_svcconn/doctor/fix", async (request) => {
    const { organization, project, expiringDays, unusedDays, tokens, findings, apply, convert } = parse(fixBody, request.body, "fix");
    const { target } = await callersTarget(request.headers.authorization ?? "", organization, tokens);
    const report = await scanAs(target, { project, expiringDays, unusedDays });
    const [, , , { applyFixes, planFixes }] = await doctor();
    const { plans, unfixable } = planFixes(report, findings, clock.now(), { convert });
    const shown = plans.map(({ steps, ...plan }) => ({ ...plan, steps: steps.map(({ call, before, after }) => ({ call, before, after })) }));
    if (!apply) return { plans: shown, unfixable };
    return { plans: shown, unfixable, outcomes: await applyFixes(plans, target) };
  });
}
