import resourceNameTakenOrInvalid from "./resource-name-taken-or-invalid.js";
import pipelinesCredentialMisconfigured from "./pipelines-credential-misconfigured.js";
import scriptOrTemplateError from "./script-or-template-error.js";
import agentOrPool from "./agent-or-pool.js";
import lockOrPolicyDenied from "./lock-or-policy-denied.js";
import quotaOrCapacity from "./quota-or-capacity.js";
import resourceNotFound from "./resource-not-found.js";
import scriptDirectoryPermission from "./script-directory-permission.js";
import taskLacksCertificateSupport from "./task-lacks-certificate-support.js";
import toolNotSignedIn from "./tool-not-signed-in.js";
import appDisabled from "./app-disabled.js";
import appNotFound from "./app-not-found.js";
import appRegistrationDisallowed from "./app-registration-disallowed.js";
import certificateInvalid from "./certificate-invalid.js";
import ciOidcTokenUnavailable from "./ci-oidc-token-unavailable.js";
import connectionNameAmbiguous from "./connection-name-ambiguous.js";
import connectionTypeMismatch from "./connection-type-mismatch.js";
import contributorAssignmentFailed from "./contributor-assignment-failed.js";
import type { Diagnosis } from "./define.js";
import deleteCleanupFailed from "./delete-cleanup-failed.js";
import endpointCreatorRoleMissing from "./endpoint-creator-role-missing.js";
import applicationChangeDenied from "./application-change-denied.js";
import duplicateConnectionName from "./duplicate-connection-name.js";
import endpointRoleMissing from "./endpoint-role-missing.js";
import guestPermission from "./guest-permission.js";
import jwtAcquisitionFailed from "./jwt-acquisition-failed.js";
import managedIdentityUnsupported from "./managed-identity-unsupported.js";
import networkOrFirewall from "./network-or-firewall.js";
import serviceUnavailableOrThrottled from "./service-unavailable-or-throttled.js";
import pipelineNotAuthorized from "./pipeline-not-authorized.js";
import pipelineResourceNotAuthorized from "./pipeline-resource-not-authorized.js";
import rbacAuthorizationFailed from "./rbac-authorization-failed.js";
import credentialPolicyDenied from "./credential-policy-denied.js";
import databaseAccessDenied from "./database-access-denied.js";
import devopsPermissionDenied from "./devops-permission-denied.js";
import keyVaultAccessDenied from "./key-vault-access-denied.js";
import secretExpired from "./secret-expired.js";
import secretInvalid from "./secret-invalid.js";
import servicePrincipalMissing from "./service-principal-missing.js";
import schemeUnsupportedOnServer from "./scheme-unsupported-on-server.js";
import sessionExpired from "./session-expired.js";
import subscriptionInOtherTenant from "./subscription-in-other-tenant.js";
import subscriptionNotListed from "./subscription-not-listed.js";
import subscriptionVariableRuntime from "./subscription-variable-runtime.js";
import taskLacksWifSupport from "./task-lacks-wif-support.js";
import terraformWithoutOidc from "./terraform-without-oidc.js";
import tenantNotFound from "./tenant-not-found.js";
import unknown from "./unknown.js";
import wifAssertionExpired from "./wif-assertion-expired.js";
import wifBlockedByPolicy from "./wif-blocked-by-policy.js";
import wifCredentialSetupFailed from "./wif-credential-setup-failed.js";
import wifIssuerMismatch from "./wif-issuer-mismatch.js";
import wifMultitenantApp from "./wif-multitenant-app.js";
import wifNoFederatedCredentials from "./wif-no-federated-credentials.js";
import wifSubjectMismatch from "./wif-subject-mismatch.js";

/** Every diagnosis `explain` can give; `unknown` is last and matches nothing on its own. */
export const CATALOG: Diagnosis[] = [
  guestPermission,
  appRegistrationDisallowed,
  sessionExpired,
  subscriptionInOtherTenant,
  contributorAssignmentFailed,
  subscriptionNotListed,
  secretInvalid,
  secretExpired,
  appNotFound,
  servicePrincipalMissing,
  appDisabled,
  jwtAcquisitionFailed,
  subscriptionVariableRuntime,
  managedIdentityUnsupported,
  rbacAuthorizationFailed,
  keyVaultAccessDenied,
  databaseAccessDenied,
  pipelineNotAuthorized,
  deleteCleanupFailed,
  wifIssuerMismatch,
  wifSubjectMismatch,
  wifNoFederatedCredentials,
  wifAssertionExpired,
  wifBlockedByPolicy,
  wifMultitenantApp,
  wifCredentialSetupFailed,
  taskLacksWifSupport,
  terraformWithoutOidc,
  taskLacksCertificateSupport,
  pipelinesCredentialMisconfigured,
  ciOidcTokenUnavailable,
  endpointCreatorRoleMissing,
  endpointRoleMissing,
  duplicateConnectionName,
  applicationChangeDenied,
  credentialPolicyDenied,
  schemeUnsupportedOnServer,
  certificateInvalid,
  tenantNotFound,
  connectionTypeMismatch,
  connectionNameAmbiguous,
  networkOrFirewall,
  serviceUnavailableOrThrottled,
  resourceNotFound,
  resourceNameTakenOrInvalid,
  lockOrPolicyDenied,
  quotaOrCapacity,
  agentOrPool,
  pipelineResourceNotAuthorized,
  devopsPermissionDenied,
  toolNotSignedIn,
  scriptDirectoryPermission,
  scriptOrTemplateError,
  unknown,
];

export type { Diagnosis } from "./define.js";
