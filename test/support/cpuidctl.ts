// Runs cpuidctl as users run it: a separate Node process, its exit code and output.

import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./fixtures.ts";

const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const CLI = join(REPO_ROOT, "cli", "cpuidctl.ts");

export function cpuidctl(...args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    return { code: 0, stdout: execFileSync(NODE, [CLI, ...args], { encoding: "utf8", stdio: "pipe" }), stderr: "" };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}
