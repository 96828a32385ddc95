import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { DevOpsError } from "../devops/errors.js";
import { explain } from "../doctor/explain.js";

const body = z.object({ text: z.string().max(200_000) });

/** `POST /_svcconn/explain` on the devops listener: `{"text": "..."}` in, the explanation out (for the UI). */
export function doctorRoutes(app: FastifyInstance): void {
  app.post("/_svcconn/explain", async (request) => {
    const parsed = body.safeParse(request.body);
    if (!parsed.success) throw new DevOpsError(400, "ArgumentException", "The body must be a JSON object with a string property 'text'.", "System.ArgumentException, mscorlib");
    return explain(parsed.data.text);
  });
}
