import { pino, destination, type Logger } from "pino";

/**
 * Structured logs on stderr. stdout carries only what a command promises (e.g. the `--json` ready line).
 * Credentials never reach a log line: headers and form fields that carry them are redacted.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.cookie",
          'req.headers["x-svcconn-admin-key"]',
          "*.client_secret",
          "*.client_assertion",
          "*.password",
          "*.refresh_token",
          "*.access_token",
          "*.secretText",
        ],
        censor: "[redacted]",
      },
    },
    destination(2),
  );
}

export type { Logger };
