import { describe, expect, it } from "vitest";

// The package entry point as another project imports it (self-reference through package.json "exports").
describe("import from 'svcconn'", () => {
  it("exports startServer and explain", async () => {
    const lib = await import("svcconn");
    expect(typeof lib.startServer).toBe("function");
    expect(lib.explain("AADSTS700016: Application with identifier 'x' was not found in the directory 'y'.").id).toBe("app-not-found");
    expect(lib.DEMO.tenantId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("startServer embeds svcconn and close() stops it", async () => {
    const { startServer } = await import("svcconn");
    const server = await startServer({ memory: true, ports: "auto", tls: false, logLevel: "silent", dataDir: (await import("node:os")).tmpdir() });
    try {
      expect(server.login).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${server.arm}/_svcconn/health`);
      expect((await health.json()).plane).toBe("arm");
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.arm}/_svcconn/health`)).rejects.toThrow();
  });
});
