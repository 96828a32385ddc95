import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

// `svcconn scenario`: the CLI a user runs. It starts its own svcconn (a new CA in a temporary folder, trusted by
// running itself again), so it is driven here as a separate process without the test CA.
const withoutTestCa = async (args: string[]) => {
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  delete process.env.NODE_EXTRA_CA_CERTS;
  try {
    return await runCli(args);
  } finally {
    process.env.NODE_EXTRA_CA_CERTS = saved;
  }
};

describe("svcconn scenario", () => {
  it("lists the guide's scenarios with their world files", async () => {
    const listed = await runCli(["scenario", "list", "--json"]);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{ id: string; world: string }>;
    expect(rows.map((r) => r.id)).toEqual(["S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S10-disabled", "S11", "S12", "S13", "S14", "S15", "S16", "S18", "S19"]);
    expect(rows.find((r) => r.id === "S9")).toMatchObject({ world: "scenarios/s09-secret-expired.yaml", diagnosis: "secret-expired" });
  });

  it("runs one: each step printed, the failure explained, exit 0 once the action succeeds", async () => {
    const played = await withoutTestCa(["scenario", "run", "S9"]);
    expect(played.stderr).toBe("");
    expect(played.code).toBe(0);
    expect(played.stdout).toMatch(/^S9 — Secret expired/);
    expect(played.stdout).toContain("AADSTS7000222");
    expect(played.stdout).toMatch(/explain +svcconn explain\n +secret-expired \(\d+ %\)/);
    expect(played.stdout).toMatch(/works +The administrator verifies the connection again\n +Verify: the connection works\npassed\n/);
  });

  it("answers --json with each step, and refuses an unknown id with the list", async () => {
    const played = await withoutTestCa(["scenario", "run", "S18", "--json"]);
    expect(played.code).toBe(0);
    const [result] = JSON.parse(played.stdout);
    expect(result).toMatchObject({ id: "S18", passed: true, explained: true, explanation: { id: "scheme-unsupported-on-server" } });
    expect(result.steps.map((s: { phase: string }) => s.phase)).toEqual(["fails", "explain", "fix", "succeeds"]);
    const unknown = await runCli(["scenario", "run", "S1"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no scenario 'S1': S2, S3");
  });
});
