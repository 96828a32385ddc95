import applicationMissing from "./application-missing.js";
import certificateExpired from "./certificate-expired.js";
import certificateExpiring from "./certificate-expiring.js";
import connectionNotReady from "./connection-not-ready.js";
import type { FindingDefinition } from "./define.js";
import federatedCredentialMismatch from "./federated-credential-mismatch.js";
import federatedCredentialMissing from "./federated-credential-missing.js";
import legacyIssuer from "./legacy-issuer.js";
import managedIdentityOnHosted from "./managed-identity-on-hosted.js";
import noRoleAtScope from "./no-role-at-scope.js";
import openAccess from "./open-access.js";
import orphanedApplication from "./orphaned-application.js";
import overPrivileged from "./over-privileged.js";
import roleInsufficient from "./role-insufficient.js";
import secretExpired from "./secret-expired.js";
import secretExpiring from "./secret-expiring.js";
import servicePrincipalDisabled from "./service-principal-disabled.js";
import servicePrincipalMissing from "./service-principal-missing.js";
import sharedAcrossProjects from "./shared-across-projects.js";
import sharedApplication from "./shared-application.js";
import taskWithoutFederation from "./task-without-federation.js";
import unused from "./unused.js";

/**
 * Every finding a scan can report, in the order a connection's findings are listed: its own state and use, then
 * its application, credentials, service principal and roles; then what spans connections.
 */
export const FINDINGS: readonly FindingDefinition[] = [
  connectionNotReady,
  sharedAcrossProjects,
  openAccess,
  unused,
  taskWithoutFederation,
  managedIdentityOnHosted,
  applicationMissing,
  secretExpired,
  secretExpiring,
  certificateExpired,
  certificateExpiring,
  legacyIssuer,
  federatedCredentialMissing,
  federatedCredentialMismatch,
  servicePrincipalMissing,
  servicePrincipalDisabled,
  noRoleAtScope,
  roleInsufficient,
  overPrivileged,
  sharedApplication,
  orphanedApplication,
];

export const FINDING_KINDS: ReadonlyMap<string, FindingDefinition> = new Map(FINDINGS.map((k) => [k.kind, k]));
