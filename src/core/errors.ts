/**
 * The base of every plane's errors. A plane error is a value with a wire form: the plane's own module builds
 * each real error (status, code, exact text) and that plane's listener renders it. Tests assert on `code`.
 */
export abstract class PlaneError extends Error {
  abstract readonly plane: "entra" | "graph" | "arm" | "devops" | "imds" | "vault" | "admin";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Errors of svcconn's own admin API (not an Azure service). */
export class AdminError extends PlaneError {
  readonly plane = "admin" as const;
}
