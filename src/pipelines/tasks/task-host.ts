import { readFileSync, rmSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * The first module of every task process: it reads back the values the runner kept out of the environment
 * (`SVCCONN_LARGE_ENV_FILE`: any value over 32 KiB, such as a long inline script, which would make exec fail with
 * E2BIG), then runs the task module named by its argument. Those values answer `process.env.X` (so the task
 * library's getInput works) but are not enumerated, so the processes the task starts inherit only what fits.
 */
const file = process.env.SVCCONN_LARGE_ENV_FILE;
if (file) {
  const large = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  rmSync(file, { force: true });
  delete process.env.SVCCONN_LARGE_ENV_FILE;
  const env = process.env;
  process.env = new Proxy(env, {
    get: (target, key) => (typeof key === "string" && key in large && !(key in target) ? large[key] : Reflect.get(target, key)),
    has: (target, key) => (typeof key === "string" && key in large) || Reflect.has(target, key),
    getOwnPropertyDescriptor: (target, key) => Reflect.getOwnPropertyDescriptor(target, key),
  });
}
const task = process.argv[2];
if (!task) throw new Error("task-host: no task module");
process.argv.splice(2, 1);
await import(pathToFileURL(task).href);
