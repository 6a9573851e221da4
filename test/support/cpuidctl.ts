// Runs cpuidctl as users run it: a separate Node process, its exit code and output.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../devenv/repo-root.ts";

const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const CLI = join(REPO_ROOT, "cli", "cpuidctl.ts");

export function cpuidctl(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(NODE, [CLI, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
