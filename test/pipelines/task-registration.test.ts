import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IMPLEMENTATIONS, MARKETPLACE, TASKS, withImplementation } from "../../src/pipelines/tasks/catalog.js";
import { TASK_FOLDERS } from "../../src/pipelines/tasks/index.js";

// A task svcconn runs is one folder under src/pipelines/tasks/: task.ts (which real task versions it runs) and run.ts
// (what the task host runs), registered in tasks/index.ts; the real task's facts (inputs, versions) are the
// catalog's. One written without the rest fails here, not in a pipeline.
const TASK_FOLDER = join(import.meta.dirname, "../../src/pipelines/tasks");
const SHARED = new Set(["lib"]);
const known = [...TASKS, ...MARKETPLACE.flatMap((e) => e.tasks.map(withImplementation))];

describe("the tasks svcconn runs", () => {
  it("every task folder is registered in tasks/index.ts, under its own name", async () => {
    const folders = readdirSync(TASK_FOLDER).filter((f) => !SHARED.has(f) && statSync(join(TASK_FOLDER, f)).isDirectory());
    expect(Object.keys(TASK_FOLDERS).sort()).toEqual(folders.sort());
    for (const folder of folders) {
      const { default: task } = await import(join(TASK_FOLDER, folder, "task.ts"));
      expect(TASK_FOLDERS[folder], `${folder}/task.ts`).toBe(task);
    }
  });

  it.each(Object.entries(IMPLEMENTATIONS))("%s has the real task's facts and its folder %s with run.ts", (reference, folder) => {
    const [name, major] = reference.split("/").pop()!.split("@");
    const extension = reference.includes("/") ? reference.split("/")[0] : undefined;
    const facts = known.find((t) => t.name === name && t.version.major === Number(major) && t.extension === extension);
    expect(facts, `no catalog facts for ${reference}`).toBeDefined();
    expect(facts!.entry).toBe(folder);
    const file = join(TASK_FOLDER, folder, "run.ts");
    expect(existsSync(file), `${file} is missing`).toBe(true);
    // The module runs under the task host: it reads its inputs through the task library, as the real task does.
    expect(readFileSync(file, "utf8")).toMatch(/azure-pipelines-task-lib|from "\.\.\/lib\/[a-z-]+\.js"/);
  });
});
