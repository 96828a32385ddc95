import { compactVerify, decodeJwt, decodeProtectedHeader } from "jose";
import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/crypto.js";
import { signJwt } from "../core/jwt.js";
import { SigningKeys } from "../core/signing-keys.js";
import type { Store } from "../store/index.js";
import type { DevOpsIdentity, Organization } from "./model.js";

/** The issuer of Azure DevOps job access tokens (System.AccessToken). */
export const JOB_TOKEN_ISSUER = "app.vstoken.visualstudio.com";

/** What a job access token binds: the project, the plan and job, the run and the pipeline. */
export interface JobBinding {
  projectId: string;
  planId: string;
  jobId: string;
  runId: number;
  pipelineId: number;
}

/**
 * Job access tokens: JWTs Azure DevOps issues to the build service identity for one job, which the job's tasks
 * present as `System.AccessToken` (Bearer, or Basic as some helpers send it). They carry the job they belong to.
 */
export class JobTokens {
  private readonly keys: SigningKeys;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    keyBox?: SecretBox,
  ) {
    this.keys = new SigningKeys(store.keys, clock, "devops-job:", keyBox);
  }

  /** The job ended: its token stops working at once (a job token never outlives a day, nor does the record). */
  async end(jobId: string): Promise<void> {
    const now = this.clock.nowMs();
    await this.store.devops.endJob(jobId.toLowerCase(), new Date(now).toISOString(), new Date(now - 86_400_000).toISOString());
  }

  static looksLikeJobToken(token: string): boolean {
    try {
      return decodeJwt(token).iss === JOB_TOKEN_ISSUER;
    } catch {
      return false;
    }
  }

  async issue(org: Organization, identity: DevOpsIdentity, binding: JobBinding, expiresAt: Date): Promise<string> {
    const key = await this.keys.activeKey(`devops-job:${org.id}`);
    const now = this.clock.nowSeconds();
    return signJwt(
      { alg: "RS256", typ: "JWT", kid: key.kid },
      {
        nameid: identity.id,
        scp: "app_token",
        aui: crypto.randomUUID(),
        sid: crypto.randomUUID(),
        iss: JOB_TOKEN_ISSUER,
        aud: `app.vstoken.visualstudio.com|vso:${org.id}`,
        orgid: org.id,
        prj: binding.projectId,
        plan: binding.planId,
        job: binding.jobId,
        run: binding.runId,
        def: binding.pipelineId,
        nbf: now,
        exp: Math.floor(expiresAt.getTime() / 1000),
      },
      key.privateKey,
    );
  }

  /** The identity and binding of a valid job token of this organization, or undefined. */
  async verify(org: Organization, token: string): Promise<{ identityId: string; binding: JobBinding } | undefined> {
    try {
      const { kid } = decodeProtectedHeader(token);
      const key = kid ? await this.keys.publicKey(kid) : undefined;
      if (!key) return undefined;
      const { payload } = await compactVerify(token, key);
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      const now = this.clock.nowSeconds();
      if (claims.orgid !== org.id || typeof claims.exp !== "number" || claims.exp <= now || (typeof claims.nbf === "number" && claims.nbf > now + 300)) return undefined;
      if (await this.store.devops.jobEnded(String(claims.job).toLowerCase())) return undefined;
      return {
        identityId: String(claims.nameid),
        binding: { projectId: String(claims.prj), planId: String(claims.plan), jobId: String(claims.job), runId: Number(claims.run), pipelineId: Number(claims.def) },
      };
    } catch {
      return undefined;
    }
  }
}
