import { PlaneError } from "../../core/errors.js";

/**
 * A Microsoft Graph failure, rendered as `{"error":{"code","message","innerError":{date, request-id,
 * client-request-id}}}` by the graph listener (`docs/reference/identity-arm-api.md` §3.8).
 */
export class GraphError extends PlaneError {
  readonly plane = "graph" as const;
}

export const graphErrors = {
  badRequest: (message: string) => new GraphError(400, "Request_BadRequest", message),
  notFound: (id: string) =>
    new GraphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`),
  denied: () => new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
  servicePrincipalExists: (appId: string) =>
    new GraphError(
      409,
      "Request_MultipleObjectsWithSameKeyValue",
      `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
    ),
  objectExists: (what: string) => new GraphError(409, "Request_MultipleObjectsWithSameKeyValue", `Another object with the same value for property ${what} already exists.`),
  tooManyFederatedCredentials: () =>
    new GraphError(400, "Request_BadRequest", "The maximum number of federated identity credentials (20) for this application has been reached."),
  federatedAudienceCount: () => new GraphError(400, "Request_BadRequest", "Federated identity credentials must have exactly one audience."),
  federatedEmptyProperties: () => new GraphError(400, "Request_BadRequest", "Federated Identity Credential from HTTP body has empty properties"),
  federatedNameInvalid: (name: string) => new GraphError(400, "Request_BadRequest", `Federated Identity Credential name '${name}' is invalid.`),
  federatedDuplicate: () => new GraphError(400, "Request_BadRequest", "Issuer and subject combination already exists for this application."),
  federatedNameExists: (name: string) =>
    new GraphError(409, "Request_MultipleObjectsWithSameKeyValue", `A federated identity credential with name '${name}' already exists.`),
  invalidValue: (property: string, resourceType: string) =>
    new GraphError(400, "Request_BadRequest", `Invalid value specified for property '${property}' of resource '${resourceType}'.`),
};
