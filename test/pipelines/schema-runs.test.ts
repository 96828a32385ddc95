import { describe, expect, it } from "vitest";
import { DEMO } from "../../src/world/demo.js";
import { yamlRuns } from "../helpers/pipelines.js";

// Issue 28: what compiles also runs as Azure Pipelines runs it, and what svcconn cannot run says so in the step's
// log, never by refusing the run.

const { run, runtime } = yamlRuns();

describe("runs of the whole schema", () => {
  it("stage and job conditions read variables; stageDependencies and dependencies outputs reach later jobs", async () => {
    const { build, records, log } = await run(`variables:
  deploy: yes
stages:
  - stage: A
    jobs:
      - job: Make
        steps:
          - bash: echo "##vso[task.setvariable variable=color;isOutput=true]blue"
            name: paint
  - stage: B
    condition: and(succeeded(), eq(variables.deploy, 'yes'))
    jobs:
      - job: Use
        condition: eq(variables['deploy'], 'yes')
        variables:
          fromA: $[ stageDependencies.A.Make.outputs['paint.color'] ]
        steps:
          - bash: echo "color=$(fromA)"
            displayName: Show $(deploy)
      - job: Never
        condition: eq(variables.deploy, 'no')
        steps:
          - bash: echo never
`);
    expect(build.result).toBe("succeeded");
    expect(records.find((r) => r.type === "Job" && r.name === "Use")!.result).toBe("succeeded");
    expect(records.find((r) => r.type === "Job" && r.name === "Never")!.result).toBe("skipped");
    expect(await log("Show yes")).toContain("color=blue");
  });

  it("checkout: none leaves no checkout step; a pipeline resource repository is checked out by its alias", async () => {
    await runtime().pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "shared-tools", files: { "/tool.sh": "echo tool ran\n" } });
    const none = await run("steps:\n  - checkout: none\n  - bash: ls\n");
    expect(none.records.filter((r) => r.name.startsWith("Checkout"))).toEqual([]);
    const two = await run("resources:\n  repositories:\n    - repository: tools\n      type: git\n      name: shared-tools\nsteps:\n  - checkout: self\n  - checkout: tools\n  - bash: bash shared-tools/tool.sh\n    displayName: Tool\n");
    expect(two.build.result).toBe("succeeded");
    expect(two.records.map((r) => r.name).filter((n) => n.startsWith("Checkout"))).toEqual([expect.stringMatching(/^Checkout yaml-run-\d+@main to s\/yaml-run-\d+$/), "Checkout shared-tools@main to s/shared-tools"]);
    expect(await two.log("Tool")).toContain("tool ran");
  });

  it("matrix legs run one after another, each with its variables, as Job records of one phase", async () => {
    const { build, records } = await run("jobs:\n  - job: Build\n    strategy:\n      matrix:\n        linux:\n          image: ubuntu\n        mac:\n          image: macos\n    steps:\n      - bash: test \"$(image)\" = ubuntu -o \"$(image)\" = macos\n");
    expect(build.result).toBe("succeeded");
    expect(records.filter((r) => r.type === "Job").map((r) => [r.name, r.identifier, r.result])).toEqual([
      ["Build linux", "__default.Build.linux", "succeeded"],
      ["Build mac", "__default.Build.mac", "succeeded"],
    ]);
  });

  it("a deployment job runs its lifecycle hooks and downloads what an earlier stage published", async () => {
    const { build, records, log } = await run(`stages:
  - stage: Build
    jobs:
      - job: Pack
        steps:
          - bash: mkdir -p out && echo payload > out/app.txt
          - publish: out
            artifact: app
  - stage: Deploy
    jobs:
      - deployment: Release
        environment: production
        strategy:
          runOnce:
            deploy:
              steps:
                - bash: cat "$(Pipeline.Workspace)/app/app.txt"
                  displayName: Read
            on:
              success:
                steps:
                  - bash: echo "deployed to $(Environment.Name)"
                    displayName: Done
`);
    expect(build.result, JSON.stringify(records.filter((r) => r.issues.length).map((r) => r.issues))).toBe("succeeded");
    expect(await log("Read")).toContain("payload");
    expect(await log("Done")).toContain("deployed to production");
    expect(records.some((r) => r.name === "Checkout" || r.name.startsWith("Checkout"))).toBe(true);
    expect(records.filter((r) => r.type === "Job" && r.name === "Release").length).toBe(1);
  });

  it("what the agent cannot run fails its step; a task svcconn does not run is skipped with the reason; never the run's queueing", async () => {
    const { build, records } = await run(`jobs:
  - job: Tools
    container: ubuntu:22.04
    steps:
      - pwsh: Write-Host hi
        displayName: Pwsh
        continueOnError: true
      - task: PowerShellOnTargetMachines@3
        displayName: Windows only
        continueOnError: true
        inputs:
          Machines: m
          ScriptType: Inline
          InlineScript: hi
      - task: Docker@2
        displayName: Not emulated
        continueOnError: true
        inputs:
          command: build
  - job: Gate
    pool: server
    steps:
      - task: Delay@1
        inputs:
          delayForMinutes: 1
`);
    // The failures continue on error; the tasks svcconn does not run are skipped, so the run partially succeeds.
    expect(build.result).toBe("partiallySucceeded");
    expect(["Not emulated", "Delay"].map((name) => records.find((r) => r.name === name)!.result)).toEqual(["skipped", "skipped"]);
    const issues = (name: string) => records.find((r) => r.name === name)!.issues.map((i) => i.message).join("\n");
    expect(issues("Pwsh")).toContain("Unable to locate executable file: 'pwsh'.");
    expect(issues("Windows only")).toBe("The current operating system is not capable of running this task. That typically means the task was written for Windows only. For example, written for Windows Desktop PowerShell.");
    expect(issues("Not emulated")).toContain("svcconn does not run the task Docker@2");
    expect(issues("Delay")).toContain("svcconn does not run agentless (server) jobs");
  });

  it("a connection input left out fails its step as the task does; one from an empty variable fails validation", async () => {
    const omitted = await run("steps:\n  - checkout: none\n  - task: AzureCLI@2\n    displayName: No connection\n    inputs:\n      scriptType: bash\n      scriptLocation: inlineScript\n      inlineScript: az account show\n");
    expect(omitted.build.result).toBe("failed");
    expect(omitted.records.find((r) => r.name === "No connection")!.issues.map((i) => i.message)).toEqual(["Input required: connectedServiceNameARM"]);
    // Azure resolves the variable at compile time and names the empty connection (docs/reference/pipelines.md).
    const empty = await run("variables:\n  conn: ''\nsteps:\n  - task: AzureCLI@2\n    inputs:\n      azureSubscription: $(conn)\n      scriptType: bash\n      scriptLocation: inlineScript\n      inlineScript: az account show\n");
    expect(empty.build.validationResults[0].message).toContain("Step input azureSubscription references service connection  which could not be found.");
  });

  it("retryCountOnTaskFailure retries a failing step as the agent does", async () => {
    const { build, records, log } = await run("steps:\n  - checkout: none\n  - bash: |\n      if [ -f $(Agent.TempDirectory)/tried ]; then echo second; exit 0; fi\n      touch $(Agent.TempDirectory)/tried; exit 1\n    displayName: Flaky\n    retryCountOnTaskFailure: 1\n");
    expect(build.result).toBe("succeeded");
    expect(records.find((r) => r.name === "Flaky")!.issues.map((i) => i.message)).toContain("RetryHelper encountered task failure, will retry (attempt #: 1 out of 1) after 1000 ms");
    expect(await log("Flaky")).toContain("second");
  });

  it("the branch a run is queued on picks the template branch (predefined variables at compile time)", async () => {
    const yaml = `steps:\n  - checkout: none\n  - \${{ if eq(variables['Build.SourceBranchName'], 'main') }}:\n    - bash: echo main-branch\n      displayName: Which\n  - \${{ else }}:\n    - bash: echo other-branch\n      displayName: Which\n`;
    expect(await (await run(yaml)).log("Which")).toContain("main-branch");
    expect(await (await run(yaml, {}, "refs/heads/feature/x")).log("Which")).toContain("other-branch");
  });
});
