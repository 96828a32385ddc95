import { Command } from "commander";
import { DEMO_WORLD_YAML } from "../world/demo.js";
import { readWorld } from "../world/load.js";

export function worldCommand(): Command {
  const world = new Command("world").description("World files: the YAML description of tenants, users, applications and the rest");
  world
    .command("demo")
    .description("Print the built-in demo world")
    .action(() => {
      process.stdout.write(DEMO_WORLD_YAML);
    });
  world
    .command("check <file>")
    .description("Validate a world file; errors name the bad path")
    .action((file: string) => {
      const parsed = readWorld(file);
      process.stdout.write(`ok: ${parsed.tenants.length} tenant(s)\n`);
    });
  return world;
}
