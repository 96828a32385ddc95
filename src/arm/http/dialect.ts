import type { FastifyReply, FastifyRequest } from "fastify";
import type { PlaneError } from "../../core/errors.js";
import type { WireDialect } from "../../http/wire.js";
import { ArmAuthenticationError, ArmError } from "../errors.js";

/** ARM's error body, plus the WWW-Authenticate challenge ARM sends with a 401. */
export function armDialect(loginBase: () => string): WireDialect {
  return {
    render(error: PlaneError, _request: FastifyRequest, reply: FastifyReply): boolean {
      if (!(error instanceof ArmError)) return false;
      if (error instanceof ArmAuthenticationError) {
        const description = error.code === "AuthenticationFailed" ? "The authentication failed because of missing 'Authorization' header." : error.message.replace(/"/g, "'");
        void reply.header("www-authenticate", `Bearer authorization_uri="${loginBase()}/${error.tenantId ?? "common"}", error="invalid_token", error_description="${description}"`);
      }
      void reply.status(error.status).send({ error: { code: error.code, message: error.message } });
      return true;
    },
    badRequest: (message) => new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${message}'.`),
    tooLarge: () => new ArmError(413, "RequestEntityTooLarge", "The request content length exceeds the maximum allowed."),
    notFound: (request) => new ArmError(404, "NotFound", `The requested path '${request.url.split("?")[0]}' is not a known Azure Resource Manager route.`),
    internal: () => new ArmError(500, "InternalServerError", "Encountered an internal server error."),
  };
}
