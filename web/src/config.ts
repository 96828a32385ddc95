import type { WebConfig } from "../../src/server/web-config";

/** Written into the page by the server (src/server/web-ui.ts). */
export const config: WebConfig = JSON.parse(document.getElementById("svcconn-config")?.textContent ?? "{}");

let clockOffset = Date.parse(config.now) - Date.now();
/** Now on the emulator's clock: expiry and "days left" count from it, as the services do. */
export const emulatorNow = (): number => Date.now() + (Number.isFinite(clockOffset) ? clockOffset : 0);
/** The emulator's clock was read again (or moved): later counts start from it. */
export const syncEmulatorClock = (now: string): void => {
  clockOffset = Date.parse(now) - Date.now();
};
