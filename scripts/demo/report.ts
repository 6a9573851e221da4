// The demo's fleet report: `bin/cpuidctl fleet report -o html`, run as a user
// runs it (the environment the demo's env file sets), written to a file.

import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { PlaneInfo } from "../../devenv/plane/control-plane.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";

const run = promisify(execFile);
export const CPUIDCTL = join(REPO_ROOT, "bin", "cpuidctl");

export async function writeFleetReport(plane: PlaneInfo, file: string): Promise<void> {
  const { stdout } = await run(CPUIDCTL, ["fleet", "report", "-o", "html"], {
    env: { ...process.env, KUBECONFIG: plane.kubeconfig, NATS_URL: plane.natsUrl, CPUID_FLEET_CREDS_DIR: plane.credsDir },
    maxBuffer: 256 * 1024 * 1024,
  });
  writeFileSync(file, stdout);
}
