import type { FastifyReply, FastifyRequest } from "fastify";
import type { PlaneError } from "../../core/errors.js";
import type { WireDialect } from "../../http/wire.js";
import { VaultError, vaultErrors } from "../errors.js";

/**
 * Key Vault's `{"error":{"code","message","innererror":{"code"}}}`; a 401 carries the challenge clients read to
 * know where to sign in and for which resource (`authority` is the sign-in URL as the client reached svcconn).
 */
export function vaultDialect(authority: (request: FastifyRequest) => string): WireDialect {
  return {
    render(error: PlaneError, request: FastifyRequest, reply: FastifyReply): boolean {
      if (!(error instanceof VaultError)) return false;
      if (error.status === 401) void reply.header("www-authenticate", `Bearer authorization="${authority(request)}/${error.challengeTenant ?? "common"}", resource="https://vault.azure.net"`);
      void reply.status(error.status).send({ error: { code: error.code, message: error.message, ...(error.innerCode ? { innererror: { code: error.innerCode } } : {}) } });
      return true;
    },
    badRequest: (message) => vaultErrors.badParameter(message),
    tooLarge: () => vaultErrors.tooLarge(),
    notFound: () => vaultErrors.notFound(),
    internal: () => vaultErrors.internal(),
  };
}
