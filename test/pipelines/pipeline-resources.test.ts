import { describe, expect, it } from "vitest";
import { DEMO } from "../../src/world/demo.js";
import { devops, ORG, PROJECT } from "../helpers/devops.js";
import { yamlRuns } from "../helpers/pipelines.js";

// Issue 28: pipeline resources. A run names another pipeline under `resources.pipelines`; when it is queued that
// resource stands for the source's latest successful run, whose facts are `resources.pipeline.{alias}.*` and whose
// artifacts `download: {alias}` fetches into a folder of the alias.

const suite = yamlRuns();

describe("pipeline resources", () => {
  it("stand for the source's latest successful run: its variables, and its artifacts downloaded by alias", async () => {
    const upstream = await suite.run("steps:\n  - checkout: none\n  - bash: mkdir -p out && echo built-by-upstream > out/app.txt\n  - publish: out\n    artifact: drop\n");
    expect(upstream.build.result).toBe("succeeded");
    const downstream = await suite.run(`resources:
  pipelines:
    - pipeline: upstream
      source: ${upstream.pipeline.name}
      trigger: true
steps:
  - checkout: none
  - download: upstream
    artifact: drop
  - bash: |
      echo "run $(resources.pipeline.upstream.runID) named $(resources.pipeline.upstream.runName) of $(resources.pipeline.upstream.pipelineName)"
      cat "$(Pipeline.Workspace)/upstream/drop/app.txt"
    displayName: Read upstream
`);
    expect(downstream.build.result, JSON.stringify(downstream.build.validationResults)).toBe("succeeded");
    const log = await downstream.log("Read upstream");
    expect(log).toContain(`run ${upstream.build.id} named ${upstream.build.buildNumber} of ${upstream.pipeline.name}`);
    expect(log).toContain("built-by-upstream");
  });

  it("a source pipeline that does not exist, or has no successful run, is a queue-time error naming the resource", async () => {
    const runtime = suite.runtime();
    const failing = await suite.run("steps:\n  - checkout: none\n  - bash: exit 1\n");
    for (const [source, text] of [
      ["no-such-pipeline", "Pipeline resource upstream references pipeline no-such-pipeline, which could not be found."],
      [failing.pipeline.name, `Pipeline resource upstream: pipeline ${failing.pipeline.name} has no successful run.`],
    ]) {
      const name = `downstream-of-${source}`;
      await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": `resources:\n  pipelines:\n    - pipeline: upstream\n      source: ${source}\nsteps:\n  - checkout: none\n` } });
      const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" });
      const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, {});
      expect(queued.status).toBe(400);
      expect(queued.body.customProperties.ValidationResults[0].message).toBe(text);
    }
  });
});
