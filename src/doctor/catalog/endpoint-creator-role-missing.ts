import { define, phrase } from "./define.js";

/**
 * An Azure DevOps permission of the person (or build identity) creating the connection — not the connection, and not
 * Entra's guest restrictions (`guest-permission`): real messages of it are labelled `other`.
 */
export default define({
  id: "endpoint-creator-role-missing",
  rootCauseClass: "other",
  title: "Not the service connection: your account may not create service connections in this project",
  spec: ["S2"],
  signals: [
    phrase("permission to create ", /(?:do not|don't) have permission to create (?:a )?service connection/, 14),
    phrase("creator for service connections", /need to be a creator for service connections/, 12),
    phrase("endpoint creators", /endpoint creators/, 5),
    phrase(["creator role", "administrator role"], /(?:creator|administrator) role .{0,40}service connections?/, 5),
  ],
  cause:
    "Only members of the project's Endpoint Creators group (Creator role) or Endpoint Administrators (Administrator role) may create service connections. Project Contributors are in Endpoint Creators by default, so your account is neither, or was removed.",
  fix: [
    "Ask a project administrator: Project settings > Service connections > … > Security > add your user with the Creator role (or add you to [Project]\\Endpoint Creators).",
    "REST: PUT https://dev.azure.com/<org>/_apis/securityroles/scopes/distributedtask.project.serviceendpointrole/roleassignments/resources/<project id>?api-version=7.1-preview.1 with [{\"roleName\":\"Creator\",\"userId\":\"<your identity id>\"}].",
  ],
  verify: ["The Security dialog lists your account with Creator or Administrator.", "Create the connection again."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/policies/service-connection-permissions"],
});
