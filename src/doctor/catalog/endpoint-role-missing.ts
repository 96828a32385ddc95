import { define, phrase } from "./define.js";

export default define({
  id: "endpoint-role-missing",
  rootCauseClass: "pipeline_not_authorized",
  title: "You lack the User or Administrator role on the service connection",
  spec: ["S2"],
  signals: [
    phrase("permission to use the service connection", /(?:do not|don't) have permission to use the service connection/, 14),
    phrase("permission to manage the service connection", /(?:do not|don't) have permission to manage the service connection/, 14),
    phrase("need to be a user of this service connection", /need to be a user of this service connection/, 10),
    phrase("need to be an administrator of this service connection", /need to be an administrator of this service connection/, 10),
    phrase("not authorized to use", /(?:is )?not authorized to use (?:the )?(?:service connection|endpoint)/, 6),
    phrase(["role", "reader"], /(?:reader|user|administrator) role on (?:the |that |this |its )?(?:service )?connection|only (?:have |has )?(?:the |a )?reader\b(?! (?:role )?(?:on|over|at|in) (?:the |that |this |its |a )?(?:resource group|subscription|resource|scope|storage|key ?vault|vault|web ?app|app service|cluster|registry))/, 8),
  ],
  cause:
    "Each service connection has its own security roles: Reader sees it, User may use it in pipelines and request tokens for it, Administrator may edit, share, rotate, convert and delete it. Your account holds a lower role on the {connection} connection (roles are inherited from the project's Endpoint Administrators and Endpoint Creators unless inheritance is off).",
  fix: [
    "Ask an Administrator of the connection: Project settings > Service connections > the connection > … > Security > add your user or group with the User (to use) or Administrator (to manage) role.",
    "REST: PUT https://dev.azure.com/<org>/_apis/securityroles/scopes/distributedtask.serviceendpointrole/roleassignments/resources/<project id>_<endpoint id>?api-version=7.1-preview.1 with [{\"roleName\":\"User\",\"userId\":\"<your identity id>\"}].",
  ],
  verify: ["The connection's Security dialog lists your account with the role; repeat the action."],
  distinguish: ["Creating a new connection needs the Creator role at project level: endpoint-creator-role-missing. A pipeline (not a person) that may not use it: pipeline-not-authorized."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/policies/service-connection-permissions"],
});
