import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testRuntime } from "../helpers/runtime.js";

function run(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ["--import", "tsx", "src/cli/main.ts", "explain", ...args], (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}

const EXPIRED = "##[error]AADSTS7000222: The provided client secret keys for app '8d1f7b38-0000-4000-8000-00000000c1d2' are expired.";

describe("svcconn explain", () => {
  it("prints the diagnosis for people and exits 0", async () => {
    const result = await run([EXPIRED]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("The connection's client secret has expired  [secret-expired, confidence 0.99]");
    expect(result.stdout).toContain("az ad app credential reset --id 8d1f7b38-0000-4000-8000-00000000c1d2 --append");
    expect(result.stdout).toMatch(/Verify:\n {2}1\. /);
  });

  it("reads --file and standard input, prints --json and --prompt", async () => {
    const dir = mkdtempSync(join(tmpdir(), "svcconn-explain-"));
    const file = join(dir, "error.log");
    writeFileSync(file, "2024-05-01T10:00:00Z ##[error]Resource not authorized. You need to authorize the resource before it can be used.\n");
    const fromFile = await run(["--file", file, "--json"]);
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ id: "pipeline-not-authorized", alternatives: expect.any(Array), entities: expect.any(Object) });
    const fromStdin = await run(["--prompt"], EXPIRED);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toContain("I'm getting this Azure DevOps service connection error:");
    expect(fromStdin.stdout).toContain("(id 'secret-expired'");
  });

  it("exits 2 when the error is not recognised", async () => {
    const result = await run(["fatal: not a git repository"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("[unknown");
  });
});

describe("POST /_svcconn/explain", () => {
  it("answers on the devops listener, and refuses a bad body in the DevOps error format", async () => {
    const runtime = await testRuntime();
    try {
      const ok = await runtime.listeners.devops.inject({ method: "POST", url: "/_svcconn/explain", payload: { text: EXPIRED } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ id: "secret-expired", title: expect.any(String), fix: expect.any(Array) });
      const bad = await runtime.listeners.devops.inject({ method: "POST", url: "/_svcconn/explain", payload: { text: 5 } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ typeKey: "ArgumentException", message: expect.stringContaining("'text'") });
    } finally {
      await runtime.close();
    }
  });
});
