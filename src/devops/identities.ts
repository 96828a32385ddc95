import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../core/clock.js";
import { newGuid } from "../core/ids.js";
import type { Store } from "../store/index.js";
import { devopsErrors } from "./errors.js";
import type { DevOpsIdentity, Organization } from "./model.js";
import type { EntraApi } from "./ports.js";
import { JobTokens, type JobBinding } from "./job-tokens.js";

/** Who is calling Azure DevOps: an identity of the organization. */
export interface DevOpsCaller {
  organization: Organization;
  identity: DevOpsIdentity;
  /** Set when the caller is a running job presenting its access token. */
  job?: JobBinding;
}

const hash = (token: string) => createHash("sha256").update(token).digest("base64url");
const PAT_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** A personal access token in Azure DevOps' shape: 52 lower-case base-32 characters. */
export function newPat(): string {
  return [...randomBytes(52)].map((b) => PAT_ALPHABET[b % 32]).join("");
}

/**
 * Authentication as Azure DevOps does it: a personal access token in HTTP Basic (any user name), or a Microsoft
 * Entra access token for Azure DevOps in Basic or Bearer, from the organization's tenant. Anything else is
 * TF400813.
 */
export class DevOpsIdentities {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly entra: EntraApi,
    readonly jobTokens: JobTokens,
  ) {}

  async organization(name: string): Promise<Organization> {
    const org = await this.store.cache.get(`org:${name.toLowerCase()}`, () => this.store.devops.organizationByName(name));
    if (!org) throw devopsErrors.organizationNotFound(name);
    return org;
  }

  async authenticate(org: Organization, header: string | undefined): Promise<DevOpsCaller> {
    if (!header) throw devopsErrors.unauthorized();
    const [scheme, value = ""] = header.trim().split(/\s+/, 2);
    let secret: string;
    if (/^basic$/i.test(scheme!)) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      secret = decoded.slice(decoded.indexOf(":") + 1);
    } else if (/^bearer$/i.test(scheme!)) {
      secret = value;
    } else {
      throw devopsErrors.unauthorized();
    }
    if (secret.split(".").length === 3 && secret.startsWith("eyJ") && JobTokens.looksLikeJobToken(secret)) {
      const verified = await this.jobTokens.verify(org, secret);
      const identity = verified && (await this.store.devops.identity(verified.identityId));
      if (!verified || !identity) throw devopsErrors.unauthorized();
      return { organization: org, identity, job: verified.binding };
    }
    const identity = secret.split(".").length === 3 && secret.startsWith("eyJ") ? await this.fromEntraToken(org, secret) : await this.fromPat(org, secret);
    return { organization: org, identity };
  }

  private async fromPat(org: Organization, pat: string): Promise<DevOpsIdentity> {
    const found = await this.store.cache.get(`pat:${hash(pat)}`, () => this.store.devops.patByHash(hash(pat)));
    if (!found || found.organizationId !== org.id || Date.parse(found.validTo) <= this.clock.nowMs()) throw devopsErrors.unauthorized();
    const identity = await this.store.devops.identity(found.identityId);
    if (!identity) throw devopsErrors.unauthorized();
    return identity;
  }

  private async fromEntraToken(org: Organization, token: string): Promise<DevOpsIdentity> {
    const claims = await this.entra.verifyAccessToken(token);
    if (!claims) throw devopsErrors.unauthorized();
    if (!claims.forAzureDevOps || claims.tenantId !== org.tenantId) throw devopsErrors.unauthorized(claims.objectId);
    const identity = await this.store.devops.identityByEntraObject(org.id, claims.objectId);
    if (!identity) throw devopsErrors.unauthorized(claims.upn ?? claims.objectId);
    return identity;
  }

  /**
   * The organization's people, service principals and project groups whose name or sign-in name contains `text`
   * (case-insensitive), at most 50: what an identity picker offers as one types. Anyone in the organization may search.
   */
  async search(caller: DevOpsCaller, text: string): Promise<DevOpsIdentity[]> {
    const wanted = text.trim().toLowerCase();
    if (!wanted) return [];
    const all = await this.store.devops.identities(caller.organization.id);
    return all.filter((i) => i.displayName.toLowerCase().includes(wanted) || i.uniqueName.toLowerCase().includes(wanted)).slice(0, 50);
  }

  async addIdentity(org: Organization, input: { kind: "user" | "servicePrincipal"; displayName: string; uniqueName: string; entraObjectId: string; id?: string }): Promise<DevOpsIdentity> {
    const identity: DevOpsIdentity = {
      id: input.id ?? newGuid(),
      organizationId: org.id,
      kind: input.kind,
      displayName: input.displayName,
      uniqueName: input.uniqueName,
      entraObjectId: input.entraObjectId.toLowerCase(),
      projectId: null,
      createdAt: this.clock.now().toISOString(),
    };
    await this.store.devops.insertIdentity(identity);
    return identity;
  }

  /** A member of a group (a world's membership). */
  async addToGroup(groupId: string, identityId: string): Promise<void> {
    await this.store.devops.addMember(groupId, identityId);
  }

  /** A personal access token a world gives by its hash only (its value never in the file). */
  async importPat(identity: DevOpsIdentity, pat: { name: string; tokenHash: string; validTo: string }): Promise<void> {
    await this.store.devops.insertPat({ id: newGuid(), identityId: identity.id, organizationId: identity.organizationId, name: pat.name, tokenHash: pat.tokenHash, validTo: new Date(Date.parse(pat.validTo)).toISOString(), createdAt: this.clock.now().toISOString() });
  }

  /** Issues a personal access token (shown once; stored as a hash). World files may fix its value. */
  async issuePat(identity: DevOpsIdentity, name: string, validDays: number, token = newPat()): Promise<string> {
    const now = this.clock.nowMs();
    await this.store.devops.insertPat({
      id: newGuid(),
      identityId: identity.id,
      organizationId: identity.organizationId,
      name,
      tokenHash: hash(token),
      validTo: new Date(now + validDays * 86_400_000).toISOString(),
      createdAt: new Date(now).toISOString(),
    });
    return token;
  }
}

/** The identity that runs a project's jobs: `{project} Build Service ({organization})`. */
export async function buildServiceIdentity(store: Store, clock: Clock, org: Organization, project: { id: string; name: string }): Promise<DevOpsIdentity> {
  const uniqueName = `Build\\${project.id}`;
  const found = (await store.devops.identities(org.id)).find((i) => i.uniqueName === uniqueName);
  if (found) return found;
  const identity: DevOpsIdentity = {
    id: newGuid(),
    organizationId: org.id,
    kind: "servicePrincipal",
    displayName: `${project.name} Build Service (${org.name})`,
    uniqueName,
    entraObjectId: null,
    projectId: project.id,
    createdAt: clock.now().toISOString(),
  };
  await store.devops.insertIdentity(identity);
  return identity;
}
