import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../src/doctor/catalog/index.js";
import { SEVERITY_ORDER } from "../../src/doctor/findings/define.js";
import { FINDINGS } from "../../src/doctor/findings/index.js";

// A finding or a diagnosis is one module in its folder, registered in the folder's index. One written without the
// rest of its parts (registered, named after its file, its check, its corpus) fails here, not in a user's scan.
const SRC = join(import.meta.dirname, "../../src/doctor");
const modules = (folder: string) =>
  readdirSync(join(SRC, folder))
    .filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "define.ts")
    .map((f) => f.slice(0, -3));

describe("a scan finding is one module of src/doctor/findings/", () => {
  it("every module is registered once, under its file's name", async () => {
    const kinds = FINDINGS.map((f) => f.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const name of modules("findings")) {
      const { default: definition } = await import(join(SRC, "findings", `${name}.ts`));
      expect(definition?.kind, `${name}.ts exports no finding`).toBe(name);
      expect(FINDINGS, `${name} is not in findings/index.ts`).toContain(definition);
    }
    expect(kinds.sort()).toEqual(modules("findings").sort());
  });

  it.each(FINDINGS.map((f) => [f.kind, f] as const))("%s has its severity, title, fix in words, one check, and an explanation that exists", (_kind, f) => {
    expect(SEVERITY_ORDER).toContain(f.severity);
    expect(f.title.length).toBeGreaterThan(10);
    expect(f.fix.length).toBeGreaterThan(20);
    expect([f.check, f.checkOrganization].filter(Boolean)).toHaveLength(1);
    if (f.explanation) expect(CATALOG.map((d) => d.id)).toContain(f.explanation);
  });
});

describe("a diagnosis is one module of src/doctor/catalog/", () => {
  it("every module is registered, under its file's name", async () => {
    for (const name of modules("catalog")) {
      const { default: diagnosis } = await import(join(SRC, "catalog", `${name}.ts`));
      expect(diagnosis?.id, `${name}.ts exports no diagnosis`).toBe(name);
      expect(CATALOG, `${name} is not in catalog/index.ts`).toContain(diagnosis);
    }
  });

  it.each(CATALOG.filter((d) => d.id !== "unknown").map((d) => [d.id, d] as const))("%s has its class, signals and corpus", (id, d) => {
    expect(d.rootCauseClass, id).not.toBeNull();
    expect(d.signals.length, id).toBeGreaterThan(0);
    expect(existsSync(join(import.meta.dirname, "../fixtures/errors", `${id}.yaml`)), `test/fixtures/errors/${id}.yaml`).toBe(true);
  });
});
