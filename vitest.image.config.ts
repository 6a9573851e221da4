// The container image test alone (test/e2e/image.test.ts): builds the image
// with buildah, then runs the daemons from it against the local control
// plane. Run by .ci/image, not by npm test.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "image",
    include: ["test/e2e/image.test.ts"],
    globalSetup: ["test/harness/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 3_600_000,
    fileParallelism: false,
  },
});
