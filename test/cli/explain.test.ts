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
    expect(result.stdout).toContain("The connection's client secret has expired  [secret-expired, confidence 0.95]");
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

  it("reads a whole log with --log: 'no failure found' exits 2; a failure names the task and version it read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "svcconn-explain-"));
    const header = ["##[section]Starting: Copy", "Task         : Azure file copy", "Version      : 4.247.0", "Author       : Microsoft Corporation", "=============================================================================="];
    const ok = join(dir, "ok.log");
    writeFileSync(ok, [...header, "Uploading files", "Uploaded 12 files", "##[section]Finishing: Copy"].map((l) => `2025-03-04T10:11:12.0000000Z ${l}`).join("\n"));
    const clean = await run(["--log", ok]);
    expect(clean.code).toBe(2);
    expect(clean.stdout).toContain("No failure found in the log  [no-failure-found");
    const failed = join(dir, "failed.log");
    writeFileSync(failed, [...header, "##[debug]auth scheme: WorkloadIdentityFederation", "##[error]Could not fetch access token for Azure. Status code: undefined, status message: undefined", "##[section]Finishing: Copy"].join("\n"));
    const explained = await run(["--log", failed]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain("[task-lacks-wif-support");
    expect(explained.stdout).toContain("Task: Azure file copy 4.247.0 (supports: secret, certificate, managedIdentity); connection scheme: federation");
    expect(explained.stdout).toContain("Use AzureFileCopy@6");
  });

  it("says plainly when it is not a connection problem, and takes --task and --scheme", async () => {
    const quota = await run(["ERROR: (QuotaExceeded) Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota."]);
    expect(quota.code).toBe(0);
    expect(quota.stdout).toContain("This is not a service connection problem: no change to the connection will fix it.");
    const certificate = await run(["--task", "TerraformTaskV4@4", "--scheme", "certificate", "--json", "AADSTS7000215: Invalid client secret provided."]);
    expect(JSON.parse(certificate.stdout)).toMatchObject({ id: "task-lacks-certificate-support", context: { scheme: "certificate" } });
    const notARun = await run(["--run", "https://dev.azure.com/contoso/web/_git/web", "--pat", "x"]);
    expect(notARun.code).toBe(2);
    expect(notARun.stderr).toContain("not a run's URL (…/{project}/_build/results?buildId=N): https://dev.azure.com/contoso/web/_git/web");
    const wrong = await run(["--scheme", "kerberos", "AADSTS7000215"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("unknown scheme 'kerberos'");
  });

  it("exits 2 when the error is not recognised", async () => {
    const result = await run(["the deployment did not work this morning"]);
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
      const withScheme = await runtime.listeners.devops.inject({ method: "POST", url: "/_svcconn/explain", payload: { text: "AADSTS7000215: Invalid client secret provided.", task: "TerraformTaskV4@4", scheme: "certificate" } });
      expect(withScheme.json()).toMatchObject({ id: "task-lacks-certificate-support", rootCauseClass: "secret_expired_or_invalid" });
      const unknownScheme = await runtime.listeners.devops.inject({ method: "POST", url: "/_svcconn/explain", payload: { text: "x", scheme: "kerberos" } });
      expect(unknownScheme.statusCode).toBe(400);
      expect(unknownScheme.json()).toMatchObject({ typeKey: "ArgumentException", message: expect.stringContaining("unknown scheme 'kerberos'") });
      const bad = await runtime.listeners.devops.inject({ method: "POST", url: "/_svcconn/explain", payload: { text: 5 } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ typeKey: "ArgumentException", message: expect.stringContaining("'text'") });
    } finally {
      await runtime.close();
    }
  });
});
