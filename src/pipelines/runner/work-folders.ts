import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";

/**
 * Where jobs run: one folder per job under a root that belongs to one svcconn instance (per data folder, or per
 * process for `--memory`), always outside the data folder. A job's folder is removed when the job ends; folders a
 * stopped svcconn left behind are removed at the next start, after ending whatever of their steps still runs.
 */
export class WorkFolders {
  readonly root: string;
  /** Where runs keep their pipeline artifacts between jobs (hidden from steps, like the job folders' root). */
  readonly artifactsRoot: string;
  private readonly base: string;
  private readonly memory: boolean;

  constructor(options: { dataDir?: string; protectedPaths: string[] }) {
    // A data folder has one svcconn at a time (its lock); `--memory` instances, several in one process too, each
    // get a root of their own.
    const key = options.dataDir ? createHash("sha256").update(resolve(options.dataDir)).digest("hex").slice(0, 16) : `mem-${process.pid}-${randomBytes(4).toString("hex")}`;
    // The first place for job folders that is outside every protected path (a data folder may be /tmp itself).
    const outside = (folder: string) => !options.protectedPaths.some((p) => folder === resolve(p) || folder.startsWith(resolve(p) + sep));
    const base = [tmpdir(), join(homedir(), ".cache"), "/var/tmp"].map((b) => resolve(b)).find((b) => outside(join(b, `svcconn-work-${key}`)));
    if (!base) throw new Error(`no folder for job folders outside ${options.protectedPaths.join(", ")}: set TMPDIR to a folder outside svcconn's data folder`);
    this.base = base;
    this.memory = !options.dataDir;
    this.root = join(base, `svcconn-work-${key}`);
    this.artifactsRoot = join(base, `svcconn-artifacts-${key}`);
  }

  /** A new, empty, owner-only folder for one job. */
  create(): string {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    return mkdtempSync(join(this.root, "job-"));
  }

  /** Remembers a step's process group in its job folder, so a later start can end it if svcconn died. */
  recordStep(jobFolder: string, pgid: number, marker: string): void {
    writeFileSync(join(jobFolder, ".svcconn-steps"), `${pgid} ${marker}\n`, { flag: "a", mode: 0o600 });
  }

  remove(jobFolder: string): void {
    rmSync(jobFolder, { recursive: true, force: true, maxRetries: 3 });
  }

  /** svcconn is stopping and its jobs have ended: the root goes too. */
  close(): void {
    rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
    // An instance on a data folder keeps its runs' artifacts (the runs are kept); one in memory does not.
    if (this.memory) rmSync(this.artifactsRoot, { recursive: true, force: true, maxRetries: 3 });
  }

  /**
   * At start: ends the steps of jobs a dead svcconn left (a process group is killed only when its leader still
   * carries that job's marker in its environment) and removes their folders, and the roots of dead `--memory`
   * instances. Returns how many job folders were removed.
   */
  sweep(): number {
    let removed = 0;
    for (const root of this.ownedRoots()) {
      let entries: string[] = [];
      try {
        entries = readdirSync(root);
      } catch {
        continue;
      }
      for (const entry of entries) {
        const folder = join(root, entry);
        endLeftoverSteps(folder);
        rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
        removed++;
      }
      if (root !== this.root) rmSync(root, { recursive: true, force: true });
    }
    return removed;
  }

  /** This instance's root, and the roots of `--memory` instances whose process is gone. */
  private ownedRoots(): string[] {
    const base = this.base;
    const roots = [this.root];
    let names: string[] = [];
    try {
      names = readdirSync(base);
    } catch {
      return roots;
    }
    for (const name of names) {
      const pid = /^svcconn-work-mem-(\d+)-/.exec(name)?.[1];
      if (pid && Number(pid) !== process.pid && !alive(Number(pid))) roots.push(join(base, name));
    }
    return roots;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function endLeftoverSteps(folder: string): void {
  let lines: string[] = [];
  try {
    lines = readFileSync(join(folder, ".svcconn-steps"), "utf8").split("\n").filter(Boolean);
  } catch {
    return;
  }
  for (const line of lines) {
    const [pgid, marker] = line.split(" ");
    const pid = Number(pgid);
    if (!Number.isSafeInteger(pid) || pid <= 1 || !marker) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`SVCCONN_JOB=${marker}`)) continue;
      process.kill(-pid, "SIGKILL");
    } catch {
      // Gone already, or not ours.
    }
  }
}
