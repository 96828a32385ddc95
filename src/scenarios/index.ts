import type { Scenario } from "./scenario.js";
import { S2 } from "./guide/s02-who-may-create.js";
import { S3 } from "./guide/s03-guest.js";
import { S4 } from "./guide/s04-app-registration-off.js";
import { S5 } from "./guide/s05-session-expired.js";
import { S6 } from "./guide/s06-several-tenants.js";
import { S7 } from "./guide/s07-contributor-assignment.js";
import { S8 } from "./guide/s08-subscription-not-listed.js";
import { S9 } from "./guide/s09-secret-expired.js";
import { S10 } from "./guide/s10-application-deleted.js";
import { S10_DISABLED } from "./guide/s10-application-disabled.js";
import { S11 } from "./guide/s11-subscription-from-variable.js";
import { S12 } from "./guide/s12-managed-identity-on-hosted.js";
import { S13 } from "./guide/s13-authorization-failed.js";
import { S14 } from "./guide/s14-pipeline-not-authorized.js";
import { S15 } from "./guide/s15-manual-service-principal.js";
import { S16 } from "./guide/s16-delete.js";
import { S18 } from "./guide/s18-server-mode.js";
import { S19 } from "./guide/s19-federation-rename.js";

/**
 * The troubleshooting guide's situations that can fail, in its order. S1 (automatic creation) is the action
 * most of them end with; S17 (explain) is a step of each.
 */
export const SCENARIOS: readonly Scenario[] = [S2, S3, S4, S5, S6, S7, S8, S9, S10, S10_DISABLED, S11, S12, S13, S14, S15, S16, S18, S19];

export function scenarioById(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id.toLowerCase() === id.toLowerCase());
}
