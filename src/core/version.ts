import { readFileSync } from "node:fs";

/** svcconn's own version, from its package.json (two levels up from src/core and from dist/core alike). */
export const SVCCONN_VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
