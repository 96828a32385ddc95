import { describe, expect, it } from "vitest";
import { compilePipeline } from "../../src/pipelines/compile/compiler.js";
import { evaluate } from "../../src/pipelines/compile/expressions.js";
import { compileTimeMacros } from "../../src/pipelines/compile/resolve-connections.js";
import { parseLoggingCommand } from "../../src/pipelines/runner/logging-commands.js";
import { SecretMasker } from "../../src/pipelines/runner/masker.js";

const compile = (files: Record<string, string>, options: { parameters?: Record<string, string>; variables?: Record<string, string>; path?: string } = {}) =>
  compilePipeline({ yamlPath: options.path ?? "/azure-pipelines.yml", readFile: (p) => files[p], templateParameters: options.parameters ?? {}, queueVariables: options.variables ?? {} });
const failure = (files: Record<string, string>, options: Parameters<typeof compile>[1] = {}) => {
  try {
    compile(files, options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("compiled");
};

describe("compile: the YAML subset", () => {
  it("expands parameters, each, if/elseif/else, templates with their own parameters, and compile-time variables", () => {
    const p = compile(
      {
        "/azure-pipelines.yml": `
parameters:
  - name: regions
    type: object
    default: [westeurope, northeurope]
  - name: mode
    values: [fast, full]
    default: fast
variables:
  - name: product
    value: shop
stages:
  - \${{ each region in parameters.regions }}:
    - stage: deploy_\${{ replace(region, 'europe', '') }}
      jobs:
        - template: jobs/deploy.yml
          parameters:
            region: \${{ region }}
            full: \${{ eq(parameters.mode, 'full') }}
`,
        "/jobs/deploy.yml": `
parameters:
  - name: region
  - name: full
    type: boolean
jobs:
  - job: deploy
    variables:
      where: \${{ parameters.region }}
    steps:
      - \${{ if parameters.full }}:
        - script: echo full \${{ variables.product }}
      - \${{ elseif eq(parameters.region, 'westeurope') }}:
        - script: echo west
      - \${{ else }}:
        - template: ../steps/other.yml
`,
        "/steps/other.yml": "steps:\n  - bash: echo other $(where)\n    displayName: Other\n",
      },
      { parameters: { mode: "fast" } },
    );
    expect(p.stages.map((s) => s.name)).toEqual(["deploy_west", "deploy_north"]);
    expect(p.stages[1]!.dependsOn).toEqual(["deploy_west"]);
    expect(p.stages.map((s) => s.jobs[0]!.steps[0]!.inputs.script)).toEqual(["echo west", "echo other $(where)"]);
    expect(p.stages[1]!.jobs[0]!.variables).toEqual([{ name: "where", value: "northeurope", readonly: false, isSecret: false }]);
    expect(p.finalYaml).toContain("stage: deploy_north");
    expect(compile({ "/azure-pipelines.yml": `parameters:\n  - name: full\n    type: boolean\n    default: false\nsteps:\n  - \${{ if parameters.full }}:\n    - script: a\n  - script: b\n` }, { parameters: { full: "true" } }).stages[0]!.jobs[0]!.steps.length).toBe(2);
  });

  it("binds values given to an older map-form template over its defaults, and takes values it does not declare", () => {
    const p = compile({
      "/azure-pipelines.yml": "steps:\n  - template: t.yml\n    parameters:\n      region: westeurope\n      accTest: true\n",
      "/t.yml": `parameters:\n  region: northeurope\n  tier: basic\nsteps:\n  - script: echo \${{ parameters.region }} \${{ parameters.tier }} \${{ parameters.accTest }}\n`,
    });
    expect(p.stages[0]!.jobs[0]!.steps.find((s) => s.inputs.script)?.inputs.script).toBe("echo westeurope basic true");
    // The typed form still refuses a parameter it does not declare.
    expect(failure({ "/azure-pipelines.yml": "steps:\n  - template: t.yml\n    parameters:\n      extra: 1\n", "/t.yml": "parameters:\n  - name: region\n    default: x\nsteps:\n  - script: echo\n" })).toContain("Unexpected parameter 'extra'");
  });

  it("takes a variables template in the map form, in its place in the list", () => {
    const p = compile({
      "/azure-pipelines.yml": `variables:\n  - name: region\n    value: northeurope\n  - template: vars.yml\n  - name: local\n    value: x\nsteps:\n  - script: echo \${{ variables.region }} \${{ variables.tier }} $(local)\n`,
      "/vars.yml": "variables:\n  region: westeurope\n  tier: gold\n",
    });
    expect(p.stages[0]!.jobs[0]!.steps.find((s) => s.inputs.script)?.inputs.script).toBe("echo westeurope gold $(local)");
    expect(p.variables.map((v) => `${v.name}=${v.value}`)).toEqual(["region=northeurope", "region=westeurope", "tier=gold", "local=x"]);
  });

  it("maps task inputs by alias to canonical names and fills defaults", () => {
    const step = compile({ "/azure-pipelines.yml": "steps:\n  - task: AzureCLI@2\n    name: login\n    inputs:\n      azureSubscription: conn\n      scriptType: bash\n      scriptLocation: inlineScript\n      inlineScript: az version\n" }).stages[0]!.jobs[0]!.steps[0]!;
    expect(step.inputs).toMatchObject({ connectedServiceNameARM: "conn", scriptType: "bash", visibleAzLogin: "true" });
    expect(step.inputKeys.connectedServiceNameARM).toBe("azureSubscription");
    expect(step).toMatchObject({ name: "login", displayName: "AzureCLI" });
  });

  it.each([
    ["an unknown key", { "/azure-pipelines.yml": "steps:\n  - script: x\n    foo: 1\n" }, {}, "/azure-pipelines.yml (Line: 3, Col: 5): Unexpected value 'foo'"],
    ["a YAML syntax error", { "/azure-pipelines.yml": "steps:\n  - script: [\n" }, {}, /^\/azure-pipelines\.yml \(Line: \d+, Col: \d+\): /],
    ["a duplicate key", { "/azure-pipelines.yml": "steps:\n  - script: a\n    script: b\n" }, {}, "/azure-pipelines.yml (Line: 3, Col: 5): 'script' is already defined"],
    ["an unknown task", { "/azure-pipelines.yml": "jobs:\n  - job: build\n    steps:\n      - task: NoSuchTask@1\n" }, {}, "/azure-pipelines.yml (Line: 4, Col: 15): A task is missing. The pipeline references a task called 'NoSuchTask'. This usually indicates the task isn't installed, and you may be able to install it from the Marketplace: https://marketplace.visualstudio.com. (Task version 1, job 'build', step ''.)"],
    ["an unexpected parameter", { "/azure-pipelines.yml": "steps:\n  - template: t.yml\n    parameters:\n      nope: 1\n", "/t.yml": "parameters:\n  - name: yes\n    default: 1\nsteps:\n  - script: x\n" }, {}, "/azure-pipelines.yml (Line: 4, Col: 7): Unexpected parameter 'nope'"],
    ["a missing parameter", { "/azure-pipelines.yml": "steps:\n  - template: t.yml\n", "/t.yml": "parameters:\n  - name: needed\nsteps:\n  - script: x\n" }, {}, "/azure-pipelines.yml (Line: 2, Col: 15): A value for the 'needed' parameter must be provided."],
    ["a value outside the allowed values", { "/azure-pipelines.yml": "parameters:\n  - name: mode\n    values: [a, b]\n    default: a\nsteps:\n  - script: x\n" }, { parameters: { mode: "c" } }, "/azure-pipelines.yml (Line: 2, Col: 11): The 'mode' parameter value 'c' is not a valid value."],
    ["a template that includes itself", { "/azure-pipelines.yml": "steps:\n  - template: loop.yml\n", "/loop.yml": "steps:\n  - template: loop.yml\n" }, {}, /Maximum (number of template files|template nesting depth|object depth)/],
    ["a template outside the repository's files", { "/azure-pipelines.yml": "steps:\n  - template: ../../etc/passwd\n" }, {}, "/azure-pipelines.yml (Line: 2, Col: 15): File /etc/passwd not found in repository self branch refs/heads/main version"],
    ["a template from a repository the pipeline does not declare", { "/azure-pipelines.yml": "steps:\n  - template: steps.yml@other\n" }, {}, "/azure-pipelines.yml (Line: 2, Col: 15): Could not find a repository with alias other. The repository resource does not exist."],
    ["a bad expression", { "/azure-pipelines.yml": `steps:\n  - script: \${{ eq(1 }}\n` }, {}, /Line: 2/],
    ["an invalid job name", { "/azure-pipelines.yml": "jobs:\n  - job: 1st\n    steps:\n      - script: x\n" }, {}, /The job name 1st is invalid/],
    ["a duplicate job", { "/azure-pipelines.yml": "jobs:\n  - job: a\n    steps:\n      - script: x\n  - job: a\n    steps:\n      - script: y\n" }, {}, /The job name a appears more than once/],
    ["a job without steps", { "/azure-pipelines.yml": "jobs:\n  - job: a\n" }, {}, /Job a: Steps are required/],
  ] as const)("%s: a clear error with file, line and column", (_what, files, options, expected) => {
    const message = failure(files as Record<string, string>, options as Parameters<typeof compile>[1]);
    if (typeof expected === "string") expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });

  it("refuses an alias bomb and very deep nesting without exhausting memory", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`), "steps:\n  - script: x"].join("\n");
    // Azure Pipelines' YAML reader refuses anchors and aliases (YamlObjectReader), at the first one.
    expect(failure({ "/azure-pipelines.yml": bomb })).toBe("/azure-pipelines.yml (Line: 1, Col: 4): Anchors are not currently supported. Remove the anchor 'a'");
    expect(failure({ "/azure-pipelines.yml": "steps:\n  - script: x\n    env: *e\n" })).toBe("/azure-pipelines.yml (Line: 3, Col: 10): Unexpected parsing event type: AnchorAlias");
    expect(failure({ "/azure-pipelines.yml": `steps: ${"[".repeat(500)}${"]".repeat(500)}` })).toMatch(/^\/azure-pipelines.yml \(Line: 1, Col: \d+\): Maximum object depth exceeded$/);
  });
});

describe("expressions, macros, logging commands, masking", () => {
  it("evaluates Azure Pipelines' functions with its conversions", () => {
    const ctx = { values: { variables: { env: "Prod", n: "3" }, parameters: { list: ["a", "b"] } } };
    expect(evaluate("eq(variables.env, 'prod')", ctx)).toBe(true);
    expect(evaluate("and(gt(variables.n, 2), in(variables['env'], 'dev', 'prod'))", ctx)).toBe(true);
    expect(evaluate("format('{0}-{1}', variables.env, length(parameters.list))", ctx)).toBe("Prod-2");
    expect(evaluate("coalesce(variables.missing, 'fallback')", ctx)).toBe("fallback");
    expect(evaluate("containsValue(parameters.list, 'B')", ctx)).toBe(true);
    expect(() => evaluate("succeeded()", ctx)).toThrow(/Unrecognized value: 'succeeded'/);
    expect(evaluate("failed()", { ...ctx, status: { succeeded: false, failed: true, canceled: false } })).toBe(true);
  });

  it("resolves only compile-time variables in connection names", () => {
    expect(compileTimeMacros("$(conn)", { conn: "prod" })).toBe("prod");
    expect(compileTimeMacros("$(late)", { late: "$[ variables.x ]" })).toBe("$(late)");
    expect(compileTimeMacros("$(step.output)", {})).toBe("$(step.output)");
  });

  it("parses logging commands with task-lib's escaping", () => {
    expect(parseLoggingCommand("##vso[task.setvariable variable=a%3Bb;isOutput=true]line1%0Aline2 100%AZP25")).toEqual({ command: "task.setvariable", properties: { variable: "a;b", isoutput: "true" }, data: "line1\nline2 100%" });
    expect(parseLoggingCommand("prefix ##vso[task.complete result=Failed;]done")).toMatchObject({ command: "task.complete", properties: { result: "Failed" } });
    expect(parseLoggingCommand("##vso[broken")).toBeUndefined();
  });

  it("masks every registered secret, longest first, and each line of a multi-line one", () => {
    const masker = new SecretMasker();
    masker.add("abc123secret");
    masker.add("-----BEGIN-----\nMIIBlinetwo\n-----END-----");
    expect(masker.mask("token=abc123secret; cert MIIBlinetwo")).toBe("token=***; cert ***");
  });
});
