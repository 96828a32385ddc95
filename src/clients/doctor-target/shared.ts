import { Unreadable } from "../../doctor/scan/target.js";

const status = (error: unknown): number | undefined => {
  const e = error as { statusCode?: number; status?: number };
  return e?.statusCode ?? e?.status;
};

/** A failed read as the scan reports it: the status and the service's own message. */
export function unreadable(what: string, error: unknown): Unreadable {
  const code = status(error);
  const message = (error as Error)?.message ?? String(error);
  const why = code === 401 || code === 403 ? `no rights to read ${what} (${code})` : `could not read ${what}: ${message}`;
  return new Unreadable(why, code);
}
