import type { ConnectionCredentials } from "./arm-credentials.js";

/** An ARM error as `azure-pipelines-tasks-azure-arm-rest`'s `ToError` keeps it: status, code, message, details. */
export interface ArmFailure {
  statusCode: number;
  code: string;
  message: string;
  details?: Array<{ code: string; message: string; details?: unknown }>;
}

/**
 * ARM calls with a connection's token, as the tasks' ARM library makes them: the token is fetched once (its failure
 * rejects the call with the library's string), an answer of 400 or more is rejected as an `ArmFailure`.
 */
export class ArmClient {
  private token?: Promise<string>;
  constructor(
    private readonly credentials: ConnectionCredentials,
    private readonly apiVersion: string,
  ) {}

  async call(method: string, path: string, body?: unknown, apiVersion = this.apiVersion): Promise<{ status: number; body: Record<string, unknown> }> {
    this.token ??= this.credentials.getToken();
    const token = await this.token;
    const base = this.credentials.armUrl.replace(/\/+$/, "");
    const response = await fetch(`${base}${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // not JSON: the text is the message
    }
    if (response.status >= 400 && method !== "HEAD") {
      const error = (parsed.error ?? {}) as { code?: string; message?: string; details?: ArmFailure["details"] };
      throw { statusCode: response.status, code: error.code ?? String(response.status), message: error.message ?? text, details: error.details } satisfies ArmFailure;
    }
    return { status: response.status, body: parsed };
  }
}

/** The library's `getFormattedError`: an ARM failure as "message (CODE: status)", anything else as its text. */
export function formattedError(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) {
    const failure = error as Partial<ArmFailure>;
    return failure.statusCode ? `${failure.message} (CODE: ${failure.statusCode})` : String(failure.message);
  }
  return String(error);
}
