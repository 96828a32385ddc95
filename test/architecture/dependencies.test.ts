import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The dependency rules of docs/design.md, checked over the import graph of src/. A failing rule lists the
 * offending imports as `file → import`.
 */

const SRC = resolve(import.meta.dirname, "../../src");
const PLANES = ["entra", "arm", "devops", "pipelines", "keyvault"];

interface Import {
  from: string;
  /** src-relative path of the imported module, or the package name. */
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Static imports and re-exports, and dynamic `import("…")` (type positions included). */
function importsOf(file: string, text: string, root = SRC): Import[] {
  const out: Import[] = [];
  const from = relative(root, file);
  const statement = /^\s*(import|export)\s+(type\s+)?[^;]*?\bfrom\s+["']([^"']+)["']/gm;
  const dynamic = /import\(\s*["']([^"']+)["']\s*\)/g;
  const add = (spec: string, typeOnly: boolean) => {
    const to = spec.startsWith(".") ? normalize(relative(root, resolve(dirname(file), spec))).replace(/\.js$/, ".ts") : spec;
    out.push({ from, to, typeOnly });
  };
  for (const m of text.matchAll(statement)) add(m[3]!, !!m[2]);
  for (const m of text.matchAll(dynamic)) add(m[1]!, false);
  return out;
}

const imports = sourceFiles(SRC).flatMap((file) => importsOf(file, readFileSync(file, "utf8")));
const top = (path: string) => path.split("/")[0]!;
const isHttp = (path: string) => path.split("/").includes("http");
const show = (list: Import[]) => list.map((i) => `${i.from} → ${i.to}`);

describe("dependency rules", () => {
  it("finds the imports it checks", () => {
    expect(imports.length).toBeGreaterThan(300);
    expect(imports.some((i) => i.from === "server/runtime.ts" && i.to === "store/index.ts")).toBe(true);
  });

  it("core/ imports nothing of ours but core/", () => {
    expect(show(imports.filter((i) => top(i.from) === "core" && i.to.includes("/") && !i.to.startsWith("core/") && !i.to.startsWith("node:") && !i.to.startsWith("@")))).toEqual([]);
  });

  it("store/ imports only store/, core/ and the planes' model types", () => {
    const bad = imports.filter(
      (i) => top(i.from) === "store" && i.to.endsWith(".ts") && !i.to.startsWith("store/") && !i.to.startsWith("core/") && !(i.typeOnly && /^[a-z]+\/model\.ts$/.test(i.to)),
    );
    expect(show(bad)).toEqual([]);
  });

  it("nothing under a plane's http/ imports store/, and routes get services only", () => {
    expect(show(imports.filter((i) => isHttp(i.from) && i.to.startsWith("store/")))).toEqual([]);
  });

  it("domain code never imports HTTP (fastify, or any http/ module)", () => {
    const domain = (i: Import) => PLANES.includes(top(i.from)) && !isHttp(i.from);
    expect(show(imports.filter((i) => domain(i) && (i.to === "fastify" || isHttp(i.to) || i.to.startsWith("http/"))))).toEqual([]);
  });

  it("a plane reaches another plane only through its own ports.ts, and that file imports no plane", () => {
    const crossing = imports.filter((i) => PLANES.includes(top(i.from)) && PLANES.includes(top(i.to)) && top(i.from) !== top(i.to));
    expect(show(crossing)).toEqual([]);
  });

  it("the doctor is a client: it imports no plane", () => {
    expect(show(imports.filter((i) => top(i.from) === "doctor" && PLANES.includes(top(i.to))))).toEqual([]);
  });

  it("scenarios are clients too: they reach svcconn through the official clients, never a plane", () => {
    expect(show(imports.filter((i) => top(i.from) === "scenarios" && PLANES.includes(top(i.to))))).toEqual([]);
  });

  it("the rule would catch a route importing the store", () => {
    const probe = importsOf(join(SRC, "devops/http/probe.ts"), 'import type { Store } from "../../store/index.js";\n');
    expect(probe).toEqual([{ from: "devops/http/probe.ts", to: "store/index.ts", typeOnly: true }]);
    expect(probe.filter((i) => isHttp(i.from) && i.to.startsWith("store/"))).toHaveLength(1);
  });
});

/** The web UI's modules by path below web/src, extension included (its imports name none: `./router`). */
const WEB = resolve(import.meta.dirname, "../../web/src");
const webFiles = sourceFiles(WEB).map((f) => relative(WEB, f));
const webModule = (to: string) => webFiles.find((f) => f === to || f === `${to}.ts` || f === `${to}.tsx`) ?? to;
const webImports = sourceFiles(WEB)
  .flatMap((file) => importsOf(file, readFileSync(file, "utf8"), WEB))
  .filter((i) => !i.typeOnly && webFiles.includes(webModule(i.to)))
  .map((i) => ({ ...i, to: webModule(i.to) }));

describe("dependency rules of the web UI (web/src)", () => {
  it("finds the imports it checks", () => {
    expect(webImports.some((i) => i.from === "app.tsx" && i.to === "pages/connections-page.tsx")).toBe(true);
  });

  it("pages import no other page and not the app: links and URLs are the router's", () => {
    expect(show(webImports.filter((i) => i.from.startsWith("pages/") && (i.to.startsWith("pages/") || i.to === "app.tsx")))).toEqual([]);
  });

  it("components import no page and not the app", () => {
    expect(show(webImports.filter((i) => i.from.startsWith("components/") && (i.to.startsWith("pages/") || i.to === "app.tsx")))).toEqual([]);
  });

  it("REST calls go through one typed client per area (web/src/api/): nothing else builds a service's path or calls fetch", () => {
    expect(show(webImports.filter((i) => i.to === "api/client.ts" && !i.from.startsWith("api/")))).toEqual([]);
    const calling = sourceFiles(WEB)
      .filter((file) => !relative(WEB, file).startsWith("api/") && relative(WEB, file) !== "auth.ts")
      .filter((file) => /\bfetch\(|["`'/]_apis\/|\/v1\.0\/|api-version=/.test(readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "")));
    expect(calling.map((f) => relative(WEB, f))).toEqual([]);
  });

  it("has no import cycles", () => {
    const next = new Map<string, string[]>();
    for (const i of webImports) next.set(i.from, [...(next.get(i.from) ?? []), i.to]);
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") return void cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
      state.set(file, "open");
      for (const to of next.get(file) ?? []) visit(to, [...path, file]);
      state.set(file, "done");
    };
    for (const file of webFiles) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
