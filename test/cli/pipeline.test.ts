import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServe } from "../helpers/cli.js";


let server: ChildProcess;
const data = mkdtempSync(join(tmpdir(), "svcconn-pipeline-cli-"));
const project = mkdtempSync(join(tmpdir(), "svcconn-yaml-"));

describe("svcconn pipeline", () => {
  beforeAll(async () => {
    server = await startServe(data);
    mkdirSync(join(project, "templates"));
    writeFileSync(join(project, "templates", "greet.yml"), `parameters:\n  - name: who\nsteps:\n  - script: echo "Hello, \${{ parameters.who }} ($(flavour))"\n    displayName: Greet \${{ parameters.who }}\n`);
    writeFileSync(
      join(project, "ok.yml"),
      `parameters:\n  - name: who\n    default: world\nstages:\n  - stage: Build\n    jobs:\n      - job: Compile\n        steps:\n          - template: templates/greet.yml\n            parameters:\n              who: \${{ parameters.who }}\n`,
    );
    writeFileSync(join(project, "fails.yml"), "steps:\n  - script: echo about to fail && exit 4\n    displayName: Breaks\n");
    writeFileSync(join(project, "unauthorized.yml"), "steps:\n  - task: AzureCLI@2\n    inputs:\n      azureSubscription: nowhere\n      scriptType: bash\n      scriptLocation: inlineScript\n      inlineScript: az account show\n");
  }, 60_000);
  afterAll(() => {
    server?.kill("SIGTERM");
  });

  it("runs a local YAML file with its templates, following stages, jobs and steps; exit code 0", async () => {
    const result = await runCli(["pipeline", "run", "ok.yml", "--data", data, "--param", "who=svcconn", "--var", "flavour=vanilla"], project);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^Run \d{8}\.1 of /);
    expect(result.stdout).toContain("▶ Stage Build");
    expect(result.stdout).toContain("▶ Job Compile (Hosted Agent)");
    expect(result.stdout).toContain("Hello, svcconn (vanilla)");
    expect(result.stdout).toMatch(/✔ Greet svcconn \d+\.\ds/);
    expect(result.stdout.trim().split("\n").at(-1)).toBe("Result: succeeded");
    // The same file again reuses its pipeline: a second run of the same definition.
    const again = await runCli(["pipeline", "run", "ok.yml", "--data", data], project);
    expect(again.stdout).toMatch(/^Run \d{8}\.2 of /);
  }, 60_000);

  it("a failing step: its error in the output and exit code 1; runs and logs list it", async () => {
    const result = await runCli(["pipeline", "run", "fails.yml", "--data", data], project);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("##[error]Bash exited with code '4'.");
    expect(result.stdout).toContain("✖ Breaks");
    expect(result.stdout.trim().split("\n").at(-1)).toBe("Result: failed");
    const runs = await runCli(["pipeline", "runs", "--data", data]);
    expect(runs.stdout.split("\n")[0]).toMatch(/^\s+3\s+.*fails\.yml.*completed\s+failed/);
    const logs = await runCli(["pipeline", "logs", "3", "--data", data]);
    expect(logs.stdout).toContain("about to fail");
    // --json for scripts: the same facts, whole.
    const listed = JSON.parse((await runCli(["pipeline", "runs", "--data", data, "--json"])).stdout);
    expect(listed[0]).toMatchObject({ id: 3, pipeline: expect.stringContaining("fails.yml"), status: "completed", result: "failed", queueTime: expect.stringMatching(/^\d{4}-/) });
    const logged = JSON.parse((await runCli(["pipeline", "logs", "3", "--data", data, "--json"])).stdout);
    expect(logged).toMatchObject({ run: 3, validationResults: [] });
    expect(logged.jobs[0].lines.join("\n")).toContain("about to fail");
  }, 60_000);

  it("a connection the pipeline cannot use: the validation error and exit code 1", async () => {
    const result = await runCli(["pipeline", "run", "unauthorized.yml", "--data", data], project);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("##[error]The pipeline is not valid. Job Job: Step input azureSubscription references service connection nowhere which could not be found.");
  }, 60_000);

  it("runs a pipeline of the project by name, and --json prints the outcome as one object", async () => {
    // fails.yml was registered by the test above as "<folder>-fails.yml".
    const name = `${basename(project)}-fails.yml`;
    const byName = await runCli(["pipeline", "run", name, "--data", data, "--json"], project);
    expect(byName.code).toBe(1);
    const outcome = JSON.parse(byName.stdout) as { pipeline: string; result: string; records: Array<{ type: string; name: string; result: string; issues: string[] }> };
    expect(outcome.pipeline).toBe(name);
    expect(outcome.result).toBe("failed");
    const step = outcome.records.find((r) => r.name === "Breaks")!;
    expect(step, byName.stdout).toMatchObject({ type: "Task", result: "failed", issues: ["Bash exited with code '4'."] });
  }, 60_000);

  it("an unknown name is an error naming both readings", async () => {
    const result = await runCli(["pipeline", "run", "no-such-pipeline", "--data", data], project);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no pipeline named 'no-such-pipeline'");
  });

  it("--preview prints the expanded YAML without running", async () => {
    const before = (await runCli(["pipeline", "runs", "--data", data])).stdout;
    const result = await runCli(["pipeline", "run", "ok.yml", "--data", data, "--preview", "--param", "who=preview"], project);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Hello, preview ($(flavour))");
    expect(result.stdout).not.toContain("template:");
    expect((await runCli(["pipeline", "runs", "--data", data])).stdout).toBe(before);
  }, 60_000);

  it("a YAML error refuses the run with each of Azure's messages on its own line", async () => {
    writeFileSync(join(project, "broken.yml"), "steps:\n  - script: echo\n    bogus: 1\n  - task: NoSuchTask@9\n");
    const result = await runCli(["pipeline", "run", "broken.yml", "--data", data], project);
    expect(result.code).toBe(1);
    const errors = (result.stderr + result.stdout).split("\n").filter((l) => l.startsWith("##[error]"));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.join("\n")).toMatch(/bogus/);
  }, 60_000);

  it("names a missing data folder", async () => {
    const result = await runCli(["pipeline", "run", "ok.yml", "--data", join(data, "nope")], project);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`no svcconn is running on ${join(data, "nope")}`);
  });
});
