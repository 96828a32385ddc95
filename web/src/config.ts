import type { WebConfig } from "../../src/server/web-config";

/** Written into the page by the server (src/server/web-ui.ts). */
export const config: WebConfig = JSON.parse(document.getElementById("svcconn-config")?.textContent ?? "{}");

const clockOffset = Date.parse(config.now) - Date.now();
/** Now on the emulator's clock: expiry and "days left" count from it, as the services do. */
export const emulatorNow = (): number => Date.now() + (Number.isFinite(clockOffset) ? clockOffset : 0);
