import type { Client, GraphError } from "@microsoft/microsoft-graph-client";
import type { FixTarget } from "../../doctor/fix/target.js";
import type { ApplicationInfo, FederatedCredentialInfo, Readable, ScanTarget, ServicePrincipalInfo } from "../../doctor/scan/target.js";
import { unreadable } from "./shared.js";

const escapeOData = (value: string) => value.replace(/'/g, "''");
const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
const APP_FIELDS = "id,appId,displayName,signInAudience,passwordCredentials,keyCredentials";

const toApplication = (a: Record<string, any>): ApplicationInfo => ({
  objectId: a.id,
  appId: a.appId,
  displayName: a.displayName,
  signInAudience: a.signInAudience ?? null,
  passwordCredentials: (a.passwordCredentials ?? []).map((p: Record<string, string | null>) => ({ displayName: p.displayName ?? null, endDateTime: p.endDateTime ?? null })),
  keyCredentials: (a.keyCredentials ?? []).map((k: Record<string, string | null>) => ({ displayName: k.displayName ?? null, endDateTime: k.endDateTime ?? null })),
});

async function graphRead<T>(what: string, read: () => Promise<T>): Promise<Readable<T>> {
  try {
    return await read();
  } catch (error) {
    return unreadable(what, error as GraphError);
  }
}

type GraphPart = Pick<ScanTarget, "applications" | "servicePrincipals" | "federatedCredentials" | "directoryTenant" | "applicationsNamed"> &
  Pick<FixTarget, "addPassword" | "removePassword" | "addFederatedCredential" | "removeFederatedCredential" | "enableServicePrincipal" | "deleteApplication">;

/** Microsoft Graph through its client: applications, service principals, federated credentials, and their changes. */
export function graphPart(graph: Client): GraphPart {
  return {
    // Graph takes at most 15 values in an `in` filter: a batch per 15 client ids.
    applications: (appIds) =>
      graphRead("the applications", async () => {
        const out: ApplicationInfo[] = [];
        for (const chunk of chunks(appIds, 15)) {
          const found = await graph.api("/applications").filter(`appId in (${chunk.map((id) => `'${escapeOData(id)}'`).join(",")})`).select(APP_FIELDS).get();
          out.push(...(found.value ?? []).map(toApplication));
        }
        return out;
      }),

    servicePrincipals: (appIds) =>
      graphRead("the service principals", async (): Promise<ServicePrincipalInfo[]> => {
        const out: ServicePrincipalInfo[] = [];
        for (const chunk of chunks(appIds, 15)) {
          const found = await graph.api("/servicePrincipals").filter(`appId in (${chunk.map((id) => `'${escapeOData(id)}'`).join(",")})`).select("id,appId,accountEnabled").get();
          out.push(...(found.value ?? []).map((sp: Record<string, any>) => ({ objectId: sp.id, appId: sp.appId, accountEnabled: sp.accountEnabled !== false })));
        }
        return out;
      }),

    federatedCredentials: (applicationObjectId) =>
      graphRead("the federated credentials", async (): Promise<FederatedCredentialInfo[]> => {
        const found = await graph.api(`/applications/${applicationObjectId}/federatedIdentityCredentials`).get();
        return (found.value ?? []).map((f: Record<string, any>) => ({ name: f.name, issuer: f.issuer, subject: f.subject, audiences: f.audiences ?? [] }));
      }),

    directoryTenant: () =>
      graphRead("the organization", async () => {
        const found = await graph.api("/organization").select("id").get();
        return String(found.value?.[0]?.id ?? "").toLowerCase();
      }),

    applicationsNamed: (prefix) =>
      graphRead("the applications", async () => {
        const out: ApplicationInfo[] = [];
        let page = await graph.api("/applications").filter(`startswith(displayName,'${escapeOData(prefix)}')`).select(APP_FIELDS).top(100).get();
        for (;;) {
          out.push(...(page.value ?? []).map(toApplication));
          const next = page["@odata.nextLink"] as string | undefined;
          if (!next) break;
          page = await graph.api(next).get();
        }
        return out;
      }),

    async addPassword(applicationObjectId, displayName, endDateTime) {
      const password = await graph.api(`/applications/${applicationObjectId}/addPassword`).post({ passwordCredential: { displayName, endDateTime } });
      return { secret: password.secretText as string, keyId: password.keyId as string };
    },

    async removePassword(applicationObjectId, keyId) {
      await graph.api(`/applications/${applicationObjectId}/removePassword`).post({ keyId });
    },

    async addFederatedCredential(applicationObjectId, credential) {
      const created = await graph.api(`/applications/${applicationObjectId}/federatedIdentityCredentials`).post(credential);
      return created.id as string;
    },

    async removeFederatedCredential(applicationObjectId, credentialId) {
      await graph.api(`/applications/${applicationObjectId}/federatedIdentityCredentials/${credentialId}`).delete();
    },

    async enableServicePrincipal(servicePrincipalObjectId) {
      await graph.api(`/servicePrincipals/${servicePrincipalObjectId}`).patch({ accountEnabled: true });
    },

    async deleteApplication(applicationObjectId) {
      await graph.api(`/applications/${applicationObjectId}`).delete();
    },
  };
}
