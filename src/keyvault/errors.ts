import { PlaneError } from "../core/errors.js";
import type { NetworkOrigin, Vault, VaultCaller } from "./model.js";

/** A Key Vault failure, rendered as `{"error":{"code","message","innererror"?}}` (docs/reference/identity-arm-api.md §7). */
export class VaultError extends PlaneError {
  readonly plane = "vault" as const;
  constructor(
    status: number,
    code: string,
    message: string,
    readonly innerCode?: string,
    /** A 401's challenge names the tenant to sign in to. */
    readonly challengeTenant?: string,
  ) {
    super(status, code, message);
  }
}

const RECOVER_HELP = "If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";

/** `appid=…;oid=…;iss=…`: how Key Vault names a caller in its refusals. */
export const callerLabel = (caller: VaultCaller): string => `${caller.appId ? `appid=${caller.appId};` : ""}oid=${caller.objectId};iss=${caller.issuer}`;
const vaultLabel = (vault: Vault): string => `${vault.name};location=${vault.location}`;

/** One constructor per real Key Vault error. */
export const vaultErrors = {
  missingToken: (tenantId: string) => new VaultError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", undefined, tenantId),
  invalidToken: (tenantId: string) => new VaultError(401, "Unauthorized", "AKV10022: Invalid token.", undefined, tenantId),
  expiredToken: (tenantId: string) => new VaultError(401, "Unauthorized", "[TokenExpired] Error validating token: 'S2S12086'.", undefined, tenantId),
  wrongAudience: (audience: string, tenantId: string) =>
    new VaultError(401, "Unauthorized", `AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${audience}.`, undefined, tenantId),
  wrongTenant: (vault: Vault, issuer: string) =>
    new VaultError(
      401,
      "Unauthorized",
      `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${vault.tenantId}/, https://login.microsoftonline.com/${vault.tenantId}/v2.0, found ${issuer}.`,
      undefined,
      vault.tenantId,
    ),
  forbiddenByRbac: (caller: VaultCaller, action: string, resource: string, vault: Vault) =>
    new VaultError(
      403,
      "Forbidden",
      `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: ${callerLabel(caller)}\r\nAction: '${action}'\r\nResource: '${resource.toLowerCase()}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: ${vaultLabel(vault)}\r\n`,
      "ForbiddenByRbac",
    ),
  forbiddenByPolicy: (caller: VaultCaller, permission: string, vault: Vault) =>
    new VaultError(
      403,
      "Forbidden",
      `The user, group or application '${callerLabel(caller)}' does not have secrets ${permission} permission on key vault '${vaultLabel(vault)}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
      "AccessDenied",
    ),
  forbiddenByFirewall: (caller: VaultCaller, origin: NetworkOrigin, vault: Vault) =>
    new VaultError(
      403,
      "Forbidden",
      `Client address is not authorized and caller is not a trusted service.\r\nClient address: ${origin.address}\r\nCaller: ${callerLabel(caller)}\r\nVault: ${vaultLabel(vault)}`,
      "ForbiddenByFirewall",
    ),
  forbiddenByConnection: (caller: VaultCaller, vault: Vault) =>
    new VaultError(
      403,
      "Forbidden",
      `Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: ${callerLabel(caller)}\r\nVault: ${vaultLabel(vault)}`,
      "ForbiddenByConnection",
    ),
  secretNotFound: (nameOrId: string) => new VaultError(404, "SecretNotFound", `A secret with (name/id) ${nameOrId} was not found in this key vault. ${RECOVER_HELP}`),
  deletedSecretNotFound: (name: string) => new VaultError(404, "SecretNotFound", `Deleted Secret not found: ${name}`),
  secretDisabled: (operation: string) => new VaultError(403, "Forbidden", `Operation ${operation} is not allowed on a disabled secret.`, "SecretDisabled"),
  deletedButRecoverable: (name: string) =>
    new VaultError(
      409,
      "Conflict",
      `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      "ObjectIsDeletedButRecoverable",
    ),
  purgeProtected: (name: string) =>
    new VaultError(403, "Forbidden", `Operation "purge" is not enabled for this vault; the secret ${name} can only be purged once its retention period has passed (purge protection).`, "PurgeProtected"),
  invalidName: (name: string) => new VaultError(400, "BadParameter", `The request URI contains an invalid name: ${name}`),
  missingApiVersion: () => new VaultError(400, "BadParameter", "The request URI contains an invalid or missing api-version"),
  badParameter: (message: string) => new VaultError(400, "BadParameter", message),
  vaultNotFound: (host: string) => new VaultError(404, "VaultNotFound", `No key vault answers at ${host}: svcconn has no vault of that name.`),
  notFound: () => new VaultError(404, "NotFound", "The requested resource was not found."),
  tooLarge: () => new VaultError(413, "RequestEntityTooLarge", "The request body is too large."),
  internal: () => new VaultError(500, "InternalServerError", "An internal error occurred."),
};
