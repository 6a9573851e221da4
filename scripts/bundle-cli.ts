// Part of `npm run build`: cpuidctl as one CommonJS file,
// dist/cli/cpuidctl.bundle.cjs, which bin/cpuidctl runs. Node then reads,
// resolves and links one module instead of up to 150 (about a third of the
// CPU time of `policy level` over 100 hosts). npm packages stay outside and
// are required only by the commands that use them. dist/cli/cpuidctl.inputs
// lists the sources in the bundle, one a line, for bin/daemon-launcher.sh to
// tell whether it is current.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { REPO_ROOT } from "../devenv/repo-root.ts";

const CLI_BUNDLE = join(REPO_ROOT, "dist", "cli", "cpuidctl.bundle.cjs");
const INPUTS = join(REPO_ROOT, "dist", "cli", "cpuidctl.inputs");

const result = await build({
  absWorkingDir: REPO_ROOT,
  entryPoints: ["cli/cpuidctl.ts"],
  outfile: CLI_BUNDLE,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node24",
  packages: "external",
  metafile: true,
  logLevel: "warning",
});
writeFileSync(INPUTS, `${Object.keys(result.metafile.inputs).sort().join("\n")}\n`);
