import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Conformance suites start real listeners; keep worker count to the machine's two cores.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
