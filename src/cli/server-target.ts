import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request } from "node:https";
import { join, resolve } from "node:path";

export interface ServerFlags {
  loginUrl?: string;
  data?: string;
  ca?: string;
  adminKey?: string;
}

/**
 * Where the running svcconn is and how to trust it: flags, then environment, then the instance running on the data
 * folder (its `instance.json`), then the default port.
 */
export function target(flags: ServerFlags) {
  const data = resolve(flags.data ?? process.env.SVCCONN_DATA ?? ".svcconn");
  const instance = readJson<{ login?: string; caFile?: string | null }>(join(data, "instance.json"));
  const loginUrl = flags.loginUrl ?? process.env.SVCCONN_LOGIN_URL ?? instance?.login ?? "https://127.0.0.1:8443";
  const caFile = flags.ca ?? instance?.caFile ?? join(data, "tls", "ca.crt");
  return { loginUrl, data, ca: existsSync(caFile) ? readFileSync(caFile) : undefined };
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** One call to a svcconn listener, trusting its CA. */
export function send(method: "GET" | "POST", url: string, body: string, headers: Record<string, string>, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    const open = u.protocol === "https:" ? request : httpRequest;
    const req = open(u, { method, headers: { "content-length": Buffer.byteLength(body), ...headers }, ...(ca ? { ca } : {}) }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", fail);
    req.end(body);
  });
}

export const post = (url: string, body: string, headers: Record<string, string>, ca?: Buffer) => send("POST", url, body, headers, ca);

/** The admin key of a data folder: its key file (owner-only). */
export function storedAdminKey(data: string): string | undefined {
  return readJson<{ adminKey?: string }>(join(data, "keys.json"))?.adminKey;
}
