import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { paint } from "../../src/cli/style.js";
import { runCli } from "../helpers/cli.js";

// The CLI's conventions (docs/cli.md): one table of exit codes for every command, --json where a command prints
// data, colours only where a terminal shows them.
describe("svcconn's CLI conventions", () => {
  it("exits 2 on usage: an unknown command or option, an unknown id, a file it cannot use", async () => {
    expect((await runCli(["bogus"])).code).toBe(2);
    const option = await runCli(["explain", "--nope", "AADSTS7000222"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--nope'");
    expect((await runCli(["explain", "--scheme", "kerberos", "AADSTS7000215"])).code).toBe(2);
    const bad = join(mkdtempSync(join(tmpdir(), "svcconn-cli-")), "bad.yaml");
    writeFileSync(bad, "tenants: 3\n");
    const world = await runCli(["world", "check", bad]);
    expect(world.code).toBe(2);
    expect(world.stderr).toMatch(/^svcconn: world: tenants/);
    // A certificate credential needs the certificate, or endDateTime for one made at load: never both, never neither.
    writeFileSync(bad, "tenants:\n  - { key: t, displayName: T, defaultDomain: t.example, applications: [{ displayName: a, keyCredentials: [{ displayName: none }] }] }\n");
    const certificate = await runCli(["world", "check", bad]);
    expect(certificate.code).toBe(2);
    expect(certificate.stderr).toContain("tenants.0.applications.0.keyCredentials.0: give the certificate, or endDateTime for one made at load");
  });

  it("exits 3 when no svcconn can be reached, and 0 for --version and help", async () => {
    const nowhere = mkdtempSync(join(tmpdir(), "svcconn-cli-"));
    const runs = await runCli(["pipeline", "runs", "--data", nowhere]);
    expect(runs.code).toBe(3);
    expect(runs.stderr).toContain(`no svcconn is running on ${nowhere}`);
    expect((await runCli(["doctor", "scan", "--data", nowhere])).code).toBe(3);
    expect((await runCli(["--version"])).code).toBe(0);
    expect((await runCli(["--help"])).code).toBe(0);
  });

  it("prints data as JSON on request: world check", async () => {
    const checked = await runCli(["world", "check", "scenarios/s13-authorization-failed.yaml", "--json"]);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toEqual({ ok: true, name: "s13-authorization-failed", tenants: 1, users: 2, organizations: 1 });
  });

  it("colours only a terminal that shows colours (Node's hasColors: NO_COLOR, FORCE_COLOR, TERM)", () => {
    const stream = (isTTY: boolean, colours: boolean) => ({ isTTY, hasColors: () => colours }) as unknown as NodeJS.WriteStream;
    expect(paint("red", "x", stream(true, true))).toBe("\x1b[31mx\x1b[39m");
    expect(paint("red", "x", stream(true, false))).toBe("x");
    expect(paint("red", "x", stream(false, true))).toBe("x");
  });
});
