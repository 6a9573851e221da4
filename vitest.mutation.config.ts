// The unit tests alone, for StrykerJS (stryker.config.json): the integration
// project needs a real control plane and is not part of mutation runs.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    // instrumented code on a shared machine: slow is not wrong
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
