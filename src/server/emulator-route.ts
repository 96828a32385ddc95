import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Clock } from "../core/clock.js";
import { devopsErrors } from "../devops/errors.js";
import type { DevOpsCaller } from "../devops/identities.js";
import { devopsHttp } from "../devops/http/shared.js";
import type { DevOpsService } from "../devops/service.js";

/** Ten years: far enough for any expiry, near enough that a typo does not end the world. */
const MAX_ADVANCE_SECONDS = 10 * 365 * 86_400;
const advanceBody = z.object({ advanceSeconds: z.number().int().positive().max(MAX_ADVANCE_SECONDS) }).strict();

/**
 * svcconn's emulator panel for an organization's administrators (Project Collection Administrators), with their own
 * Azure DevOps credential: `GET /{org}/_apis/svcconn/emulator` (the clock, who is signed in) and
 * `POST /{org}/_apis/svcconn/emulator/clock` with `{"advanceSeconds": N}` (the one clock of every plane moves
 * forward, as the admin API's does). Everyone else gets Azure DevOps' access-denied answer.
 */
export function emulatorRoutes(app: FastifyInstance, devops: DevOpsService, clock: Clock): void {
  const { route } = devopsHttp(devops);
  const view = async (caller: DevOpsCaller) => ({
    now: clock.now().toISOString(),
    offsetSeconds: Math.round(clock.offsetMs() / 1000),
    members: await devops.signedInMembers(caller),
  });
  app.get("/:org/_apis/svcconn/emulator", route(false, async (_request, _reply, caller) => view(caller)));
  // Whether the panel is the caller's to open: the pages ask this rather than meet the panel's 403.
  app.get("/:org/_apis/svcconn/emulator/access", route(false, async (_request, _reply, caller) => ({ administrator: await devops.isOrganizationAdministrator(caller) })));
  app.post(
    "/:org/_apis/svcconn/emulator/clock",
    route(false, async (request, _reply, caller) => {
      await devops.requireOrganizationAdministrator(caller);
      const parsed = advanceBody.safeParse(request.body);
      if (!parsed.success) throw devopsErrors.argument(`The body must be {"advanceSeconds": N}, N a whole number of seconds from 1 to ${MAX_ADVANCE_SECONDS}: the clock only moves forward.`);
      clock.advance(parsed.data.advanceSeconds);
      return view(caller);
    }),
  );
}
