import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { basic, ORG } from "./devops.js";

// Without vitest: benches hold jobs too.

export interface HeldJob {
  /** The job's System.AccessToken, plan and job ids, as its tasks have them. */
  token: string;
  planId: string;
  jobId: string;
  runId: number;
  pipelineId: number;
  /** Lets the job's step end, and waits for the run to complete. */
  release(): Promise<void>;
}

let counter = 0;

/**
 * Starts a run whose one step hands its job token to the test and waits: what a task inside a job can do with the
 * token (the OIDC route, node-api) is then tried from the test while the job is really running. The connections
 * given are permitted for the pipeline.
 */
export async function holdJob(runtime: Runtime, connectionIds: string[], options: { projectId?: string; projectName?: string; pat?: string } = {}): Promise<HeldJob> {
  const projectId = options.projectId ?? DEMO.project.id;
  const handoff = mkdtempSync(join(tmpdir(), "svcconn-handoff-"));
  const name = `held-${++counter}-${Date.now()}`;
  // The job's facts appear whole (written aside, then renamed): the test reads the file as soon as it exists. Each
  // connection is named by a (skipped) step of the job: the OIDC route answers only for those.
  const references = connectionIds.map((id) => `  - task: AzureCLI@2\n    condition: false\n    inputs:\n      azureSubscription: ${id}\n      scriptType: bash\n      scriptLocation: inlineScript\n      inlineScript: echo\n`).join("");
  const yaml = `steps:
  - bash: |
      printf '%s\\n%s\\n%s\\n' "$SYSTEM_ACCESSTOKEN" "$(System.PlanId)" "$(System.JobId)" > "${handoff}/job.partial"
      mv "${handoff}/job.partial" "${handoff}/job"
      for i in $(seq 1 1200); do [ -f "${handoff}/release" ] && exit 0; sleep 0.05; done
      exit 1
    env:
      SYSTEM_ACCESSTOKEN: $(System.AccessToken)
${references}`;
  await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId, name, files: { "/azure-pipelines.yml": yaml } });
  const pipeline = await runtime.pipelines.catalog.definePipeline(projectId, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" });
  for (const id of connectionIds) await runtime.store.devops.setPipelinePermission(projectId, "endpoint", id, { pipelineId: pipeline.id, authorized: true, authorizedBy: "test", authorizedOn: new Date().toISOString() });
  const caller = await runtime.pipelines.caller(ORG, basic(options.pat ?? DEMO.pats.admin));
  const run = await runtime.pipelines.queueRun(caller, projectId, pipeline.id, { variables: {}, templateParameters: {}, previewRun: false });
  const file = join(handoff, "job");
  for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const [token = "", planId = "", jobId = ""] = readFileSync(file, "utf8").split("\n");
  return {
    token,
    planId,
    jobId,
    runId: run.id,
    pipelineId: pipeline.id,
    async release() {
      writeFileSync(join(handoff, "release"), "");
      await runtime.pipelines.settled();
    },
  };
}

