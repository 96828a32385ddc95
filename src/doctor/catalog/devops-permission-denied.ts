import { define, phrase } from "./define.js";

/**
 * Not the service connection: Azure DevOps itself refuses the identity a step uses inside Azure DevOps — the job's
 * build service, a PAT, `az devops` — a repository, a project or an API. The ARM connection is never asked.
 */
export default define({
  id: "devops-permission-denied",
  rootCauseClass: "other",
  title: "Not the service connection: Azure DevOps refuses the build service or the token a step uses",
  spec: ["S17"],
  signals: [
    // Azure DevOps' own numbered refusals (TF/VS codes) of a repository, a project or a resource.
    phrase(["tf400813", "tf401027", "tf401019", "vs800075", "vs30063", "tf401444", "tf402455"], /\b(?:tf400813|tf401027|tf401019|vs800075|vs30063|tf401444|tf402455)\b/, 16),
    phrase("requires user authentication", /the requested resource requires user authentication/, 12),
    // The job's own identity named as the one refused.
    phrase("build service", /build service \([^)]{1,80}\)'? (?:is not authorized|needs|does not have)|'project collection build service[^']{0,80}' is not authorized/, 12),
    // git's sign-in to Azure Repos: the job's token (or a PAT), not an Azure connection.
    phrase(["authentication failed for", "could not read username for"], /fatal: (?:authentication failed for|could not read username for) 'https:\/\/(?:[\w.-]+@)?(?:dev\.azure\.com|[\w-]+\.visualstudio\.com)/, 14),
    // An Azure Artifacts feed refusing the job's token (NuGet's and npm's own words for a 401/403 from the feed).
    phrase(
      ["nuget command failed", "pkgs.dev.azure.com", "pkgs.visualstudio.com", "/_packaging/", "npm err! code e401", "npm err! code e403"],
      /(?:nuget command failed|pkgs\.dev\.azure\.com|pkgs\.visualstudio\.com|\/_packaging\/)[^\n]{0,300}?(?:\b40[13]\b|unauthori[sz]ed|forbidden|unable to authenticate)|npm err! code e40[13]\b/,
      12,
    ),
    // A service connection named in the refusal is the connection's (pipeline-not-authorized, endpoint-role-missing).
    phrase(["service connection", "service endpoint", "serviceendpoint"], /service connection|service ?endpoint/, -8),
  ],
  cause:
    "The step talks to Azure DevOps itself — checking out or pushing a repository, calling its REST API, az devops — with the job's build service identity (System.AccessToken) or a personal access token, and Azure DevOps refuses it: the identity lacks the permission on that repository or project, the job's authorization scope leaves the resource out, or the token expired or lacks the scope. The Azure Resource Manager connection plays no part.",
  fix: [
    "For the job's identity: Project settings > Repositories > the repository > Security > '<project> Build Service (<organization>)' (or 'Project Collection Build Service') > allow the permission the message names (Contribute, Read…).",
    "A repository or project outside the pipeline's own: turn off 'Limit job authorization scope to current project' (Project settings > Pipelines > Settings) or reference the repository under resources so the job token includes it.",
    "For a PAT (AZURE_DEVOPS_EXT_PAT, a git URL): check it has not expired and has the scopes the call needs (Code read/write, Project and team read…); create a new one if not.",
  ],
  verify: ["Re-run the job: the checkout, push or API call succeeds with the same identity."],
  distinguish: [
    "'You do not have permission to create a service connection' is the creator's role for service connections (endpoint-creator-role-missing).",
    "A refusal naming a service connection is that connection's security (pipeline-not-authorized, endpoint-role-missing).",
  ],
  references: [
    "https://learn.microsoft.com/azure/devops/pipelines/process/access-tokens",
    "https://learn.microsoft.com/azure/devops/repos/git/set-git-repository-permissions",
    "https://learn.microsoft.com/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate",
  ],
});
