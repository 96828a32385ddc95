import { isAbsolute } from "node:path";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AdminError } from "../../core/errors.js";
import { DevOpsPortError } from "../ports.js";
import { PipelinesError } from "../errors.js";
import type { PipelinesService } from "../service.js";

const folderRepository = z.object({ folder: z.string().min(1).max(4096) }).strict();
const settings = z.object({ resourceAuthorization: z.enum(["fail", "wait"]) }).strict();
const parallelism = z.object({ microsoftHosted: z.number().int().min(0).max(1000), selfHosted: z.number().int().min(0).max(1000) }).strict();

/**
 * On the devops listener: `PUT /_admin/organizations/{org}/projects/{project}/repositories/{name}`, a repository
 * backed by a local folder (`svcconn pipeline run` registers the folder of the YAML file it runs), and
 * `PUT …/projects/{project}/pipelinesettings`, the project's svcconn pipeline settings, and
 * `PUT /_admin/organizations/{org}/parallelism`, how many jobs the organization runs at once, and
 * `PUT /_admin/organizations/{org}/extensions/{publisher.extension}`, a Marketplace extension svcconn knows.
 */
export function pipelinesAdminRoutes(app: FastifyInstance, pipelines: PipelinesService, requireKey: (request: never) => Promise<void>): void {
  app.put<{ Params: { org: string; project: string; name: string } }>("/_admin/organizations/:org/projects/:project/repositories/:name", { onRequest: requireKey as never }, async (request) => {
    const parsed = folderRepository.safeParse(request.body);
    if (!parsed.success || !isAbsolute(parsed.data.folder)) throw new AdminError(400, "InvalidRepository", 'The body must be {"folder": "<absolute path>"}.');
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(request.params.name)) throw new AdminError(400, "InvalidRepository", "A repository name has 1 to 64 letters, digits, '.', '_' or '-'.");
    try {
      const repository = await pipelines.catalog.folderRepository(request.params.org, request.params.project, request.params.name, parsed.data.folder);
      return { id: repository.id, name: repository.name, folder: repository.folder };
    } catch (error) {
      if (error instanceof DevOpsPortError) throw new AdminError(404, "NotFound", error.message);
      if (error instanceof Error && "status" in error && (error as { status: number }).status === 400) throw new AdminError(409, "RepositoryExists", error.message);
      throw error;
    }
  });

  app.put<{ Params: { org: string; project: string } }>("/_admin/organizations/:org/projects/:project/pipelinesettings", { onRequest: requireKey as never }, async (request) => {
    const parsed = settings.safeParse(request.body);
    if (!parsed.success) throw new AdminError(400, "InvalidSettings", 'The body must be {"resourceAuthorization": "fail" | "wait"}.');
    try {
      return await pipelines.catalog.putSettings(request.params.org, request.params.project, parsed.data);
    } catch (error) {
      if (error instanceof DevOpsPortError) throw new AdminError(404, "NotFound", error.message);
      throw error;
    }
  });

  app.put<{ Params: { org: string; extension: string } }>("/_admin/organizations/:org/extensions/:extension", { onRequest: requireKey as never }, async (request, reply) => {
    if (!/^[\w-]{1,100}\.[\w-]{1,100}$/.test(request.params.extension)) throw new AdminError(400, "InvalidExtension", "An extension is named publisher.extension.");
    try {
      await pipelines.catalog.installExtension(request.params.org, { id: request.params.extension });
      return reply.status(204).send();
    } catch (error) {
      if (error instanceof DevOpsPortError) throw new AdminError(404, "NotFound", error.message);
      if (error instanceof PipelinesError) throw new AdminError(400, "InvalidExtension", error.message);
      throw error;
    }
  });

  app.put<{ Params: { org: string } }>("/_admin/organizations/:org/parallelism", { onRequest: requireKey as never }, async (request) => {
    const parsed = parallelism.safeParse(request.body);
    if (!parsed.success) throw new AdminError(400, "InvalidParallelism", 'The body must be {"microsoftHosted": N, "selfHosted": N} (0 to 1000 each).');
    try {
      return await pipelines.catalog.putParallelism(request.params.org, parsed.data);
    } catch (error) {
      if (error instanceof DevOpsPortError) throw new AdminError(404, "NotFound", error.message);
      throw error;
    }
  });
}
