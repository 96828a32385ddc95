import { describe, expect, it } from "vitest";
import { compilePipeline } from "../../src/pipelines/compile/compiler.js";

// Issue 28: the constructs of Azure Pipelines' YAML schema compile (own YAML, one per construct), in Azure's stages:
// expand (templates, `${{ }}`, variables in order) into the final pipeline, then read its structure.

const compile = (files: Record<string, string>, options: { parameters?: Record<string, string>; variables?: Record<string, string>; repositories?: Record<string, Record<string, string>> } = {}) =>
  compilePipeline({
    yamlPath: "/azure-pipelines.yml",
    readFile: (path, repository) => (repository === "self" ? files[path] : options.repositories?.[repository.toLowerCase()]?.[path]),
    templateParameters: options.parameters ?? {},
    queueVariables: options.variables ?? {},
  });

describe("expansion in Azure Pipelines' order", () => {
  it("a template in a variables list sees the variables defined before it", () => {
    const p = compile({
      "/azure-pipelines.yml": `variables:\n  - name: environment\n    value: prod\n  - template: vars-\${{ variables.environment }}.yml\n  - name: after\n    value: \${{ variables.region }}\nsteps:\n  - script: echo $(region)\n`,
      "/vars-prod.yml": "variables:\n  - name: region\n    value: westeurope\n",
    });
    expect(p.variables.map((v) => [v.name, v.value])).toEqual([
      ["environment", "prod"],
      ["region", "westeurope"],
      ["after", "westeurope"],
    ]);
  });

  it("templates see predefined variables given at compile time (the branch picks the connection)", () => {
    const yaml = `steps:\n  - \${{ if eq(variables['Build.SourceBranchName'], 'main') }}:\n    - script: echo prod\n  - \${{ else }}:\n    - script: echo dev\n`;
    expect(compile({ "/azure-pipelines.yml": yaml }, { variables: { "Build.SourceBranchName": "main" } }).stages[0]!.jobs[0]!.steps[0]!.inputs.script).toBe("echo prod");
    expect(compile({ "/azure-pipelines.yml": yaml }, { variables: { "Build.SourceBranchName": "feature" } }).stages[0]!.jobs[0]!.steps[0]!.inputs.script).toBe("echo dev");
  });

  it("extends a template with parameters; the root keeps its own trigger, variables and resources", () => {
    const p = compile({
      "/azure-pipelines.yml": "trigger: [main]\nvariables:\n  a: 1\nextends:\n  template: base.yml\n  parameters:\n    greeting: hi\n",
      "/base.yml": `parameters:\n  - name: greeting\nstages:\n  - stage: Build\n    jobs:\n      - job: B\n        steps:\n          - script: echo \${{ parameters.greeting }}\n`,
    });
    expect(p.extendsTemplate).toBe("base.yml");
    expect(p.triggers.trigger).toEqual(["main"]);
    expect(p.stages[0]!.jobs[0]!.steps[0]!.inputs.script).toBe("echo hi");
    expect(p.finalYaml).toContain("echo hi");
    expect(p.finalYaml).not.toContain("extends");
  });

  it("a template from another repository of resources.repositories, and @self", () => {
    const p = compile(
      {
        "/azure-pipelines.yml": "resources:\n  repositories:\n    - repository: tools\n      type: git\n      name: web/pipeline-tools\nsteps:\n  - template: steps/build.yml@tools\n  - template: local.yml@self\n",
        "/local.yml": "steps:\n  - script: echo local\n",
      },
      { repositories: { "web/pipeline-tools": { "/steps/build.yml": "steps:\n  - template: inner.yml\n", "/steps/inner.yml": "steps:\n  - script: echo from tools\n" } } },
    );
    expect(p.stages[0]!.jobs[0]!.steps.map((s) => s.inputs.script)).toEqual(["echo from tools", "echo local"]);
    expect(p.resources.repositories).toMatchObject([{ alias: "tools", type: "git", name: "web/pipeline-tools" }]);
  });
});

describe("every construct of the schema compiles", () => {
  it("deployment jobs with environments and their strategies' lifecycle hooks", () => {
    const p = compile({
      "/azure-pipelines.yml": `stages:
  - stage: Deploy
    jobs:
      - deployment: Web
        environment: production.vm1
        strategy:
          runOnce:
            preDeploy:
              steps:
                - script: echo pre
            deploy:
              steps:
                - script: echo deploy
            on:
              failure:
                steps:
                  - script: echo rollback
              success:
                steps:
                  - script: echo done
`,
    });
    const job = p.stages[0]!.jobs[0]!;
    expect(job).toMatchObject({ kind: "deployment", name: "Web", environment: { name: "production", resourceName: "vm1" }, strategy: { kind: "runOnce" } });
    expect(job.steps.map((s) => [s.kind, s.inputs.script ?? s.inputs.buildType, s.condition])).toEqual([
      ["task", "echo pre", null],
      ["download", "current", null],
      ["task", "echo deploy", null],
      ["task", "echo rollback", "failed()"],
      ["task", "echo done", "succeeded()"],
    ]);
  });

  it("matrix and parallel jobs become legs with their variables", () => {
    const p = compile({ "/azure-pipelines.yml": "jobs:\n  - job: Build\n    strategy:\n      matrix:\n        linux:\n          image: ubuntu\n        mac:\n          image: macos\n      maxParallel: 2\n    steps:\n      - script: echo $(image)\n  - job: Shard\n    strategy:\n      parallel: 3\n    steps:\n      - script: echo $(System.JobPositionInPhase)\n" });
    const [build, shard] = p.stages[0]!.jobs;
    expect(build!.legs).toEqual([
      { name: "linux", variables: { image: "ubuntu" } },
      { name: "mac", variables: { image: "macos" } },
    ]);
    expect(shard!.legs.map((l) => l.variables["System.JobPositionInPhase"])).toEqual(["1", "2", "3"]);
  });

  it("every step kind: pwsh, powershell, publish, download, checkout options, retries, targets; any built-in task", () => {
    const p = compile({
      "/azure-pipelines.yml": `resources:
  containers:
    - container: tools
      image: mcr.microsoft.com/azure-cli
pool:
  vmImage: ubuntu-latest
container: tools
steps:
  - checkout: self
    clean: true
    fetchDepth: 1
    submodules: recursive
    lfs: true
  - pwsh: Write-Host hi
    errorActionPreference: stop
  - powershell: Write-Host legacy
  - publish: $(Build.ArtifactStagingDirectory)
    artifact: drop
  - download: current
    artifact: drop
  - task: AzurePowerShell@5
    retryCountOnTaskFailure: 2
    target: host
    inputs:
      azureSubscription: prod
      ScriptType: InlineScript
      Inline: Get-AzContext
      azurePowerShellVersion: LatestVersion
  - task: SqlAzureDacpacDeployment@1
    inputs:
      azureSubscription: prod
      ServerName: s
      DatabaseName: d
      SqlUsername: u
      SqlPassword: p
`,
    });
    const steps = p.stages[0]!.jobs[0]!.steps;
    expect(steps.map((s) => s.task?.name ?? s.kind)).toEqual(["checkout", "PowerShell", "PowerShell", "PublishPipelineArtifact", "DownloadPipelineArtifact", "AzurePowerShell", "SqlAzureDacpacDeployment"]);
    expect(steps[0]!.checkout).toEqual({ repository: "self", options: { clean: "true", fetchDepth: "1", submodules: "recursive", lfs: "true" } });
    expect(steps[1]!.inputs).toMatchObject({ targetType: "inline", script: "Write-Host hi", pwsh: "true", errorActionPreference: "stop" });
    expect(steps[3]).toMatchObject({ kind: "publish", artifact: { name: "drop", path: "$(Build.ArtifactStagingDirectory)" } });
    expect(steps[4]).toMatchObject({ kind: "download", artifact: { source: "current", name: "drop" } });
    expect(steps[5]).toMatchObject({ retryCountOnTaskFailure: 2, inputs: { ConnectedServiceNameARM: "prod" }, inputKeys: { ConnectedServiceNameARM: "azureSubscription" } });
    expect(steps[6]!.inputs.ConnectedServiceNameARM).toBe("prod");
    expect(p.stages[0]!.jobs[0]!.container).toBe("tools");
    expect(p.resources.containers).toMatchObject([{ alias: "tools", image: "mcr.microsoft.com/azure-cli" }]);
  });

  it("agentless jobs, schedules, triggers, lockBehavior, pipeline and container resources, variable groups", () => {
    const p = compile({
      "/azure-pipelines.yml": `name: $(Date:yyyyMMdd)$(Rev:.r)
trigger:
  branches:
    include: [main]
pr: none
schedules:
  - cron: "0 3 * * *"
    displayName: nightly
    branches:
      include: [main]
lockBehavior: sequential
resources:
  pipelines:
    - pipeline: build
      source: ci
      trigger: true
variables:
  - group: shared-settings
  - name: local
    value: yes
stages:
  - stage: Approve
    jobs:
      - job: Wait
        pool: server
        steps:
          - task: ManualValidation@1
            inputs:
              notifyUsers: ops@contoso.com
  - stage: Build
    variables:
      - group: build-secrets
    jobs:
      - job: B
        workspace:
          clean: all
        steps:
          - bash: echo ok
`,
    });
    expect(p.triggers.schedules).toMatchObject([{ cron: "0 3 * * *" }]);
    expect(p.lockBehavior).toBe("sequential");
    expect(p.groups.map((g) => g.name)).toEqual(["shared-settings"]);
    expect(p.stages[1]!.groups.map((g) => g.name)).toEqual(["build-secrets"]);
    expect(p.stages[0]!.jobs[0]!.agentless).toBe(true);
    expect(p.resources.pipelines).toMatchObject([{ alias: "build", source: "ci" }]);
  });

  it("strict keys still: an unknown key names its place; a task no catalog has is missing", () => {
    const failure = (yaml: string) => {
      try {
        compile({ "/azure-pipelines.yml": yaml });
      } catch (error) {
        return (error as Error).message;
      }
      return "compiled";
    };
    expect(failure("jobs:\n  - deployment: D\n    environment: prod\n    steps:\n      - script: x\n")).toBe("/azure-pipelines.yml (Line: 4, Col: 5): Unexpected value 'steps'");
    expect(failure("steps:\n  - pwsh: x\n    clean: true\n")).toBe("/azure-pipelines.yml (Line: 3, Col: 5): Unexpected value 'clean'");
    expect(failure("steps:\n  - task: TerraformTaskV4@4\n")).toMatch(/A task is missing\. The pipeline references a task called 'TerraformTaskV4'/);
  });
});
