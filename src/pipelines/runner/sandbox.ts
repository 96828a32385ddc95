import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, sep } from "node:path";
import { realpathOrSelf } from "../repositories.js";

/**
 * How steps are isolated from svcconn itself. A step runs as the same OS user as svcconn, so without isolation it
 * could read the data folder (`keys.json`: the admin key and the sealing key; `svcconn.db`), the local CA's key,
 * other jobs' folders and svcconn's own environment in /proc. With bubblewrap each step process gets a view of the
 * machine where those paths are empty, its own PID namespace (svcconn's /proc is not visible) and dies with svcconn.
 */
export type SandboxMode = "auto" | "bubblewrap" | "none";

export interface StepSandbox {
  /** `bubblewrap`, or `none` (with the reason it is not isolated). */
  kind: "bubblewrap" | "none";
  /** Why steps are not isolated (kind `none`): said loudly at start and in every job's log. */
  reason?: string;
  /** The command that runs `file args` inside the sandbox for one step. */
  wrap(command: { file: string; args: string[]; cwd: string; jobFolder: string }): { file: string; args: string[] };
}

export interface SandboxPaths {
  /** Folders and files no step may see (the data folder, the CA's folder, the root of every job's folder). */
  hidden: string[];
  /** Paths a step needs even when they lie inside a hidden one (the CA certificate, svcconn's code, Node). */
  needed: string[];
}

const BWRAP_CANDIDATES = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"];

/** Whether bubblewrap exists and can make the namespaces a step needs on this machine. */
function probeBubblewrap(): { path: string } | { reason: string } {
  const path = BWRAP_CANDIDATES.find((p) => existsSync(p));
  if (!path) return { reason: "bubblewrap (bwrap) is not installed" };
  const probe = spawnSync(path, ["--bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "--die-with-parent", "--new-session", "--", "/bin/true"], { timeout: 5_000, encoding: "utf8" });
  if (probe.status === 0) return { path };
  return { reason: `bubblewrap cannot create namespaces here (${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split("\n")[0]})` };
}

const within = (path: string, root: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * The bubblewrap arguments for a step: the machine as the svcconn user sees it, then every hidden path replaced
 * by an empty folder (or /dev/null for a file), needed paths bound back read-only, the job's own folder bound
 * back writable, a new /proc in a new PID namespace, and death with svcconn.
 */
export function bubblewrapArgs(paths: SandboxPaths, jobFolder: string, cwd: string): string[] {
  const args = ["--bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  const hidden = [...new Set(paths.hidden.filter(existsSync).map(realpathOrSelf))];
  const needed = [...new Set(paths.needed.filter(existsSync).map(realpathOrSelf))];
  const hide = (paths: string[]) => {
    for (const path of paths) args.push(...(isFolder(path) ? ["--tmpfs", path] : ["--ro-bind", "/dev/null", path]));
  };
  const neededInHidden = needed.filter((path) => hidden.some((h) => within(path, h)));
  const bindBack = () => {
    for (const path of neededInHidden) args.push("--ro-bind", path, path);
  };
  hide(hidden);
  bindBack();
  // A hidden path inside something bound back (the data folder inside svcconn's checkout) is hidden again, and
  // what is needed inside it (the CA certificate) bound back once more.
  const hiddenInNeeded = hidden.filter((path) => needed.some((n) => within(path, n) && path !== n));
  if (hiddenInNeeded.length) {
    hide(hiddenInNeeded);
    bindBack();
  }
  args.push("--bind", jobFolder, jobFolder, "--unshare-pid", "--unshare-ipc", "--die-with-parent", "--new-session", "--chdir", cwd);
  return args;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The sandbox steps run in, chosen once at start: bubblewrap where it works, else none with the reason. */
export function chooseSandbox(mode: SandboxMode, paths: SandboxPaths): StepSandbox {
  if (mode === "none") return { kind: "none", reason: "the step sandbox is turned off (--step-sandbox none)", wrap: (c) => c };
  const probe = probeBubblewrap();
  if ("reason" in probe) {
    if (mode === "bubblewrap") throw new Error(`--step-sandbox bubblewrap: ${probe.reason}. Install Debian's bubblewrap package (scripts/install-system-deps.sh).`);
    return { kind: "none", reason: probe.reason, wrap: (c) => c };
  }
  return {
    kind: "bubblewrap",
    wrap: ({ file, args, cwd, jobFolder }) => ({ file: probe.path, args: [...bubblewrapArgs(paths, jobFolder, cwd), "--", file, ...args] }),
  };
}

/** The folders svcconn's own code and Node live in: a step's task process needs them. */
export function codePaths(moduleFile: string): string[] {
  return [dirname(realpathOrSelf(process.execPath)), packageRoot(moduleFile)];
}

function packageRoot(moduleFile: string): string {
  let dir = dirname(moduleFile);
  for (let i = 0; i < 10; i++) {
    if (existsSync(`${dir}${sep}package.json`)) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dirname(moduleFile);
}
