import { define, phrase } from "./define.js";

/** Not the service connection: the agent, its pool or the machine under it (capacity, memory, disk, time limits). */
export default define({
  id: "agent-or-pool",
  rootCauseClass: "other",
  title: "Not the service connection: the agent or its pool",
  spec: ["S17"],
  signals: [
    phrase(["ran longer", "exceeded the timeout", "job was canceled", "stopped hearing from agent", "lost communication", "agent request is not running", "operation was canceled"], /ran longer than the maximum time|exceeded the timeout|we stopped hearing from agent|lost communication with the server|the agent request is not running|the operation was canceled/, 14),
    phrase(["no agent found", "could not find a pool", "no hosted parallelism", "no free parallel", "parallelism", "parallel job", "no agent", "matching agent"], /no agent found in pool|could not find a pool|no hosted parallelism has been purchased or granted|no (?:free )?parallel jobs?|no agent (?:could be found|with .{0,40} capabilities)|matching agent/, 14),
    phrase(["heap out of memory", "out of memory", "outofmemory", "no space left", "disk full", "not enough space", "oomkilled", "disk is full", "exit code 137"], /javascript heap out of memory|\bout of memory\b|outofmemoryexception|no space left on device|not enough space on the disk|\bdisk (?:is )?full\b|\boomkilled\b|exit code 137\b/, 14),
    phrase(["is not recognized as", "command not found", "not installed", "could not find a version", "term '", "failed to find", "unable to locate executable"], /is not recognized as (?:an internal or external command|the name of a cmdlet)|: command not found|is not installed on the agent|\b(?:kubelogin|kubectl|helm|terraform|azcopy|sqlpackage|pwsh|powershell core|azure cli|az cli|docker|bicep) (?:cli )?is not installed\b|could not find a version that satisfies|the term ['"][^'"]+['"] is not recognized|failed to find \w+ tool in paths|unable to locate executable file/, 8),
    // .NET's words for a file the agent's account may not write or another process holds (the agent's work folder).
    phrase("access to the path", /access to the path ['"][^'"]+['"] is denied/, 10),
    // The Azure tasks' own words (AzureCLI's AzureCLINotFound, the Az helpers' AZ_RequiresMinVersion0).
    phrase(["not found on the agent", "module is not installed", "is required but"], /azure cli not found on the agent|the required minimum version .{0,40}of the azure powershell module is not installed|module version [\d.]+ is required but [\d.]+ is installed/, 12),
    // A person's words for the same.
    phrase(["installed"], /(?:agent|machine|image|runner|build server)\b.{0,40}(?:doesn't|does not|don't|didn't) have .{0,40}installed|(?:is not|isn't|wasn't|was not|not) installed on the (?:self-hosted )?(?:agent|machine|runner|image|build server)/, 8),
    // Go's and Node's words for a program that is not on the agent, and AzurePowerShell's for a module version it lacks.
    phrase(["executable file not found", "enoent", "could not find the module"], /executable file not found in \$path|\bspawn [^ ]+ enoent\b|could not find the modules?:? '?az/, 12),
    // A PowerShell module the agent does not have (or cannot get from the gallery).
    phrase(["no valid module file was found", "no match was found for the specified search criteria"], /no valid module file was found in any module directory|no match was found for the specified search criteria and module name/, 10),
    // .NET refusing to load a module's assembly or a type or method it expects: two Az or MSAL versions (or AzureRM
    // beside Az) in one PowerShell session on the agent.
    phrase(["could not load file or assembly", "assembly with same name is already loaded", "method not found", "unable to find type"], /could not load file or assembly '[^']+'|assembly with same name is already loaded|method not found: '[^']*microsoft\.azure\.commands|unable to find type \[microsoft\.azure\.commands/, 10),
    // az installing an extension on the agent with pip, which failed (the agent's Python or network).
    phrase("pip failed with status code", /pip failed with status code/, 9),
    phrase(["self-hosted", "agent version", "upgrade the agent", "minimum agent version", "upgrade your agent"], /requires (?:a )?(?:newer|minimum) agent version|upgrade (?:your|the) agent|agent version [\d.]+ (?:is|does not)/, 10),
  ],
  cause:
    "The step did not fail on Azure: the agent or its pool did — no agent (or no parallel job) to run it, a time limit, or the machine ran out of memory or disk, or lacks the tool the step calls.",
  fix: [
    "No agent or parallelism: Organization settings > Agent pools / Parallel jobs; check the pool's agents are online and match the job's demands, or buy/grant a parallel job.",
    "Time limits: raise timeoutInMinutes on the job (60 minutes on a free Microsoft-hosted job), or split the work.",
    "Memory or disk: raise the tool's memory (for Node: NODE_OPTIONS=--max-old-space-size=4096), clean the work folder, or use a larger self-hosted agent.",
    "A missing tool: install it in a step before (a tool installer task) or use an image that has it.",
  ],
  verify: ["Re-run the job; the step starts on an agent and completes within its limits."],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/troubleshooting/troubleshooting", "https://learn.microsoft.com/azure/devops/pipelines/agents/agents"],
});
