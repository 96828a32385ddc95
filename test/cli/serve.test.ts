import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { DEMO } from "../../src/world/demo.js";
import { runCli } from "../helpers/cli.js";

/** Runs the CLI from source (no build needed) and returns its first stdout line. */
function serve(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout });
  const first = new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, first, stderr: () => stderr };
}

describe("svcconn serve", () => {
  it("--json prints exactly one ready line once every listener accepts connections", async () => {
    const data = mkdtempSync(join(tmpdir(), "svcconn-cli-"));
    const { child, first } = serve(["--data", data, "--ports", "auto", "--json", "--admin-key", "cli-test-admin-key"]);
    try {
      const ready = JSON.parse(await first);
      expect(Object.keys(ready)).toEqual(["event", "login", "graph", "arm", "devops", "imds", "vault", "proxy", "caFile", "adminKey", "bootstrap", "organization", "project", "pat", "web"]);
      expect(ready.organization).toBe(`${ready.devops}/${DEMO.organization.name}`);
      expect(ready.web).toBe(`${ready.devops}/${DEMO.organization.name}/${DEMO.project.name}/_settings/adminservices`);
      expect(ready).toMatchObject({ project: DEMO.project.name, pat: DEMO.pats.admin });
      expect(ready).toMatchObject({
        event: "ready",
        adminKey: "cli-test-admin-key",
        caFile: join(data, "tls", "ca.crt"),
        bootstrap: { tenantId: DEMO.tenantId, clientId: DEMO.bootstrapAppId, clientSecret: DEMO.bootstrapSecret },
      });
      for (const plane of ["login", "graph", "arm", "devops"]) expect(ready[plane]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.imds).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${ready.imds}/_svcconn/health`);
      expect(await health.json()).toMatchObject({ status: "ok", plane: "imds" });
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("prints the facts and the lines to paste for people", async () => {
    const data = mkdtempSync(join(tmpdir(), "svcconn-cli-"));
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--data", data, "--ports", "auto"], { stdio: ["ignore", "pipe", "pipe"] });
    const text = await new Promise<string>((resolve, reject) => {
      let buffer = "";
      child.stdout.on("data", (d) => {
        buffer += d;
        if (buffer.includes("@azure/identity:")) resolve(buffer);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}`)));
    });
    child.kill("SIGTERM");
    expect(text).toContain("svcconn is ready.");
    expect(text).toContain(`export NODE_EXTRA_CA_CERTS=${join(data, "tls", "ca.crt")}`);
    expect(text).toContain("export REQUESTS_CA_BUNDLE=");
    expect(text).toContain("export AZURE_AUTHORITY_HOST=https://127.0.0.1:");
    expect(text).toContain("az cloud register -n svcconn --cloud-config");
    expect(text).toContain(DEMO.bootstrapSecret);
  });

  it("stops with a one-line reason on a bad flag or world", async () => {
    const { first, stderr } = serve(["--ports", "login=abc", "--memory"]);
    await expect(first).rejects.toThrow(/invalid configuration 'ports'/);
    expect(stderr()).toMatch(/^svcconn: /);
    const bad = serve(["--memory", "--world", "/nonexistent/world.yaml", "--ports", "auto"]);
    await expect(bad.first).rejects.toThrow(/world: cannot read \/nonexistent\/world.yaml/);
  });
});

describe("npm start (README's run command)", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`stops the server itself on ${signal} sent to npm, releasing the data folder`, async () => {
      const data = mkdtempSync(join(tmpdir(), "svcconn-start-"));
      const npm = spawn("npm", ["start", "--silent", "--", "--data", data, "--ports", "auto", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
      const ready = JSON.parse(await new Promise<string>((resolve, reject) => {
        createInterface({ input: npm.stdout }).once("line", resolve);
        npm.once("exit", (code) => reject(new Error(`npm exited ${code}`)));
      }));
      const health = `${ready.imds}/_svcconn/health`;
      expect((await fetch(health)).status).toBe(200);
      npm.kill(signal);
      await new Promise((resolve) => npm.once("exit", resolve));
      // Nothing listens any more, and the lock is gone: no server was left behind.
      for (let i = 0; i < 50 && existsSync(join(data, "svcconn.lock")); i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(data, "svcconn.lock"))).toBe(false);
      await expect(fetch(health)).rejects.toThrow();
    }, 60_000);
  }
});

describe("svcconn --version", () => {
  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(await runCli(["--version"])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});
