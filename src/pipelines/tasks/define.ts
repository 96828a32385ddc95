/**
 * A task svcconn runs: its folder `tasks/{name}/` holds `task.ts` (this: which real task versions it is, and where
 * their behaviour was read) and `run.ts` (the process the task host runs, reading its inputs through the task library
 * as the real task does). The real task's facts (inputs, handlers, versions) are the catalog's (src/core/tasks/,
 * extracted from the task's task.json); which connection schemes a version supports, src/core/tasks/schemes.ts.
 */
export interface TaskImplementation {
  /** The task versions it runs: `Name@major`, or `{extension}/Name@major` for a Marketplace task. */
  runs: string[];
  /** The real task's source it follows (repository and folder), for its texts and behaviour. */
  source: string;
}

export const defineTask = (implementation: TaskImplementation): TaskImplementation => implementation;
