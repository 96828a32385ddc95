import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../core/clock.js";
import { AdminError, PlaneError } from "../core/errors.js";
import type { Logger } from "../core/logging.js";

/**
 * How one plane speaks its errors on the wire. Each listener installs one, so that whatever goes wrong — a
 * service error, a malformed body, an unknown path, an unexpected exception — the client reads the answer in
 * the format of the service it thinks it is talking to.
 */
export interface WireDialect {
  /** Renders a plane error of this dialect; returns false when the error belongs to another dialect. */
  render(error: PlaneError, request: FastifyRequest, reply: FastifyReply): boolean;
  badRequest(message: string): PlaneError;
  /** A body that is not JSON the service can read; the dialect's `badRequest` with Json.NET's text when absent. */
  invalidJson?(problem: JsonProblem, request: FastifyRequest): PlaneError;
  tooLarge(): PlaneError;
  notFound(request: FastifyRequest): PlaneError;
  internal(): PlaneError;
}

export interface WireContext {
  clock: Clock;
  logger: Logger;
}

/** Installs error and not-found handlers that answer in `dialect`. */
export function speak(app: FastifyInstance, dialect: WireDialect, context: WireContext): void {
  const send = (error: PlaneError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AdminError) {
      void reply.status(error.status).send({ error: { code: error.code, message: error.message } });
      return;
    }
    if (!dialect.render(error, request, reply)) {
      // An error of another plane surfaced here (should not happen): keep the status, speak this dialect.
      const translated = error.status >= 500 ? dialect.internal() : dialect.badRequest(error.message);
      dialect.render(translated, request, reply);
    }
  };
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof PlaneError) return send(error, request, reply);
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return send(dialect.tooLarge(), request, reply);
    if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      return send(dialect.badRequest(error.message), request, reply);
    }
    context.logger.error({ err: error, url: request.url, method: request.method }, "unexpected error");
    return send(dialect.internal(), request, reply);
  });
  app.setNotFoundHandler((request, reply) => send(dialect.notFound(request), request, reply));
}

/** `https://{host}` as the client addressed this listener. */
export function baseUrl(request: FastifyRequest): string {
  const host = request.headers.host ?? `${request.hostname}`;
  return `${request.protocol}://${host}`;
}

/**
 * An Azure DevOps organization's URL as the request reached it: `https://{org}.visualstudio.com` (the older form,
 * through the real-host proxy) carries the organization in its host, `https://dev.azure.com/{org}` in its path.
 */
export function organizationUrl(request: FastifyRequest, organization: string): string {
  const host = String(request.headers.host ?? "").split(":")[0]!.toLowerCase();
  return host === `${organization.toLowerCase()}.visualstudio.com` ? baseUrl(request) : `${baseUrl(request)}/${organization}`;
}

/** The Entra timestamp format: `2016-01-09 02:02:12Z`. */
export const entraTimestamp = (ms: number): string => new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");

/**
 * The deepest JSON a request may nest: Json.NET's default `MaxDepth`, which the real services (ASP.NET) enforce,
 * and far below what would exhaust the stack when the value is later serialised.
 */
export const MAX_JSON_DEPTH = 64;

/** Why a JSON body could not be read, in the terms Json.NET reports (line and position are 1-based). */
export type JsonProblem = { kind: "syntax"; character: string; line: number; position: number } | { kind: "depth" } | { kind: "charset"; charset: string };

/** Json.NET's text for a problem, which ARM and Azure DevOps both pass on. */
export function jsonProblemText(problem: JsonProblem): string {
  if (problem.kind === "depth") return `The reader's MaxDepth of ${MAX_JSON_DEPTH} has been exceeded.`;
  if (problem.kind === "charset") return `The character set '${problem.charset}' is not supported.`;
  return `Unexpected character encountered while parsing value: ${problem.character}. Path '', line ${problem.line}, position ${problem.position}.`;
}

/** Decodes a body by its declared charset (UTF-8, UTF-16 with or without BOM), dropping a BOM. */
function decodeBody(raw: Buffer, contentType: string): string | JsonProblem {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase() ?? "utf-8";
  let text: string;
  if (charset === "utf-8" || charset === "utf8" || charset === "us-ascii") text = raw.toString("utf8");
  else if (charset === "utf-16" || charset === "utf-16le" || charset === "unicode") {
    text = raw[0] === 0xfe && raw[1] === 0xff ? Buffer.from(raw.subarray(2)).swap16().toString("utf16le") : raw.toString("utf16le");
  } else if (charset === "utf-16be") text = Buffer.from(raw).swap16().toString("utf16le");
  else return { kind: "charset", charset };
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The nesting depth of a JSON text, counted without parsing (strings skipped), stopping past `limit`. */
function depthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/**
 * The index of the first character at which `text` stops being JSON (its length when the text ends too early).
 * Iterative, so any nesting is safe; only called once `JSON.parse` has failed.
 */
export function firstSyntaxError(text: string): number {
  const stack: Array<"{" | "["> = [];
  // What may come next: a value, an object key (or `}`), a `:`, or a `,`/closing bracket.
  let expecting: "value" | "key" | "key-or-end" | "colon" | "after" | "value-or-end" = "value";
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const string = (): boolean => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return true;
      }
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return false;
      } else if (c.charCodeAt(0) < 0x20) return false;
      else i++;
    }
    return false;
  };
  for (;;) {
    ws();
    if (i >= text.length) return stack.length === 0 && expecting === "after" ? i : text.length;
    const c = text[i]!;
    if (expecting === "value" || expecting === "value-or-end") {
      if (c === "]" && expecting === "value-or-end") {
        stack.pop();
        i++;
        expecting = "after";
      } else if (c === "{") {
        stack.push("{");
        i++;
        expecting = "key-or-end";
      } else if (c === "[") {
        stack.push("[");
        i++;
        expecting = "value-or-end";
      } else if (c === '"') {
        if (!string()) return i;
        expecting = "after";
      } else {
        const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
        if (!literal) return i;
        i += literal[0].length;
        expecting = "after";
      }
    } else if (expecting === "key" || expecting === "key-or-end") {
      if (c === "}" && expecting === "key-or-end") {
        stack.pop();
        i++;
        expecting = "after";
      } else if (c === '"') {
        if (!string()) return i;
        expecting = "colon";
      } else return i;
    } else if (expecting === "colon") {
      if (c !== ":") return i;
      i++;
      expecting = "value";
    } else {
      const top = stack[stack.length - 1];
      if (c === "," && top) {
        i++;
        expecting = top === "{" ? "key" : "value";
      } else if ((c === "}" && top === "{") || (c === "]" && top === "[")) {
        stack.pop();
        i++;
      } else return i;
    }
  }
}

/** Reads a JSON body: charset, depth, then the value; an empty body is no body. */
export function readJsonBody(raw: Buffer, contentType: string): { value: unknown } | { problem: JsonProblem } {
  const text = decodeBody(raw, contentType);
  if (typeof text !== "string") return { problem: text };
  if (text.trim() === "") return { value: undefined };
  if (depthExceeds(text, MAX_JSON_DEPTH)) return { problem: { kind: "depth" } };
  try {
    return { value: JSON.parse(text) };
  } catch {
    // V8 does not always say where; find the first character that cannot continue a JSON text.
    const at = firstSyntaxError(text);
    const before = text.slice(0, at);
    const line = before.split("\n").length;
    return { problem: { kind: "syntax", character: text[at] ?? "", line, position: at - before.lastIndexOf("\n") } };
  }
}

/**
 * Installs the JSON reader on a listener, in place of the framework's (whose messages name the framework). A
 * problem is answered in the listener's dialect, or as svcconn's own admin error on `/_admin/` paths.
 */
export function acceptJson(app: FastifyInstance, dialect: WireDialect): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, raw, done) => {
    const read = readJsonBody(raw as Buffer, String(request.headers["content-type"] ?? ""));
    if ("value" in read) return done(null, read.value);
    const error = request.url.startsWith("/_admin/") ? new AdminError(400, "InvalidJson", jsonProblemText(read.problem)) : (dialect.invalidJson?.(read.problem, request) ?? dialect.badRequest(jsonProblemText(read.problem)));
    done(error, undefined);
  });
}
