import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IMPLEMENTATIONS, MARKETPLACE, TASKS, withImplementation } from "../../src/pipelines/tasks/catalog.js";

// A task svcconn runs has its parts: the real task's facts (inputs, versions) in the catalog, and its module under
// src/pipelines/tasks/ that the task host runs. One registered without the other fails here, not in a pipeline.
const TASK_FOLDER = join(import.meta.dirname, "../../src/pipelines/tasks");
const known = [...TASKS, ...MARKETPLACE.flatMap((e) => e.tasks.map(withImplementation))];

describe("the tasks svcconn runs", () => {
  it.each(Object.entries(IMPLEMENTATIONS))("%s has the real task's facts and its module %s", (reference, module) => {
    const [name, major] = reference.split("/").pop()!.split("@");
    const extension = reference.includes("/") ? reference.split("/")[0] : undefined;
    const facts = known.find((t) => t.name === name && t.version.major === Number(major) && t.extension === extension);
    expect(facts, `no catalog facts for ${reference}`).toBeDefined();
    expect(facts!.entry).toBe(module);
    const file = join(TASK_FOLDER, `${module}.ts`);
    expect(existsSync(file), `${file} is missing`).toBe(true);
    // The module runs under the task host: it reads its inputs through the task library, as the real task does.
    expect(readFileSync(file, "utf8")).toMatch(/azure-pipelines-task-lib|from "\.\/[a-z-]+\.js"/);
  });
});
