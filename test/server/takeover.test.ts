import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { completedRun, expectLostThenAfter, killServed, LONG_THEN_AFTER, pipelineIdOf, pipelineWorld, projectApi, serve, timelineOf, until } from "../helpers/processes.js";

// svcconn killed with SIGKILL, or stopped with SIGTERM, mid-run and started again on the same data folder: the work
// it held under leases (core/leases.ts) is taken over by the next start rather than failed.

const GROUPED = `variables:
  - group: release-settings
steps:
  - script: echo "region is $(region)"
`;

afterEach(killServed);

const folder = () => mkdtempSync(join(tmpdir(), "svcconn-takeover-"));

describe.skipIf(process.env.SVCCONN_TEST_POSTGRES)("work under way when svcconn is killed (SQLite: the next start takes its leases)", () => {
  it("a running job ends as Azure Pipelines ends a lost agent's job, and the run goes on to its next job", async () => {
    const data = folder();
    const first = await serve(["--data", data, "--lease-seconds", "2", "--world", pipelineWorld({ long: LONG_THEN_AFTER })]);
    const api = projectApi(first);
    const run = await api("POST", `pipelines/${await pipelineIdOf(api, "long")}/runs`, {});
    await until("the long job to run", async () => ((await timelineOf(api, run.id)).find((r) => r.type === "Job" && r.name === "Long")?.state === "inProgress" ? true : undefined));
    first.child.kill("SIGKILL");

    const again = projectApi(await serve(["--data", data, "--lease-seconds", "2"]));
    expect((await completedRun(again, run.pipeline.id, run.id)).result).toBe("failed");
    expectLostThenAfter(await timelineOf(again, run.id));
  }, 120_000);

  it("stopped gracefully (SIGTERM), svcconn hands the run over: the next start ends the job it stopped and runs the next", async () => {
    const data = folder();
    const first = await serve(["--data", data, "--lease-seconds", "2", "--world", pipelineWorld({ long: LONG_THEN_AFTER })]);
    const api = projectApi(first);
    const run = await api("POST", `pipelines/${await pipelineIdOf(api, "long")}/runs`, {});
    await until("the long job to run", async () => ((await timelineOf(api, run.id)).find((r) => r.type === "Job" && r.name === "Long")?.state === "inProgress" ? true : undefined));
    const exited = new Promise((resolve) => first.child.once("exit", resolve));
    first.child.kill("SIGTERM");
    await exited;

    const again = projectApi(await serve(["--data", data, "--lease-seconds", "2"]));
    expect((await completedRun(again, run.pipeline.id, run.id)).result).toBe("failed");
    expectLostThenAfter(await timelineOf(again, run.id));
  }, 120_000);

  it("a run waiting for Permit keeps waiting after the restart and goes on once permitted", async () => {
    const data = folder();
    const first = await serve(["--data", data, "--lease-seconds", "2", "--world", pipelineWorld({ grouped: GROUPED })]);
    const api = projectApi(first);
    const id = await pipelineIdOf(api, "grouped");
    const run = await api("POST", `pipelines/${id}/runs`, {});
    expect(run.state).toBe("inProgress");
    first.child.kill("SIGKILL");

    const again = projectApi(await serve(["--data", data, "--lease-seconds", "2"]));
    // Still waiting, on the new process.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await again("GET", `pipelines/${id}/runs/${run.id}`)).state).toBe("inProgress");
    const group = ((await again("GET", "distributedtask/variablegroups")).value as Array<{ id: number; name: string }>).find((g) => g.name === "release-settings")!;
    await again("PATCH", `pipelines/pipelinePermissions/variablegroup/${group.id}`, { pipelines: [{ id, authorized: true }] });
    expect((await completedRun(again, id, run.id)).result).toBe("succeeded");
  }, 120_000);
});
