import { define, phrase } from "./define.js";

export default define({
  id: "duplicate-connection-name",
  rootCauseClass: "other",
  title: "A service connection with that name already exists in the project",
  spec: ["S2"],
  signals: [
    phrase("already exists", /service (?:connection|endpoint) with (?:the )?name .{1,200}? already exists/, 14),
    phrase("duplicateserviceconnectionexception", /duplicateserviceconnectionexception/, 12),
    phrase("only a user having", /only a user having administrator\/user role permissions on service connection/, 8),
    phrase("ambiguous", /\bambiguous\b/, -8),
  ],
  cause:
    "Connection names are unique within a project (case-insensitively). A connection named {connection} already exists there, possibly one you cannot see: connections are listed only to users holding a role on them.",
  fix: [
    "Pick another name, or ask a project administrator to find the existing connection (Project settings > Service connections, as a member of Endpoint Administrators) and reuse, rename or delete it.",
    "REST, as an administrator: GET https://dev.azure.com/<org>/<project>/_apis/serviceendpoint/endpoints?endpointNames=<name>&includeFailed=true&api-version=7.1 shows it with its id.",
  ],
  verify: ["Create the connection again; it is saved."],
  references: ["https://learn.microsoft.com/rest/api/azure/devops/serviceendpoint/endpoints/create"],
});
