// Runs cpuidctl as users run it: a separate Node process, its exit code and output.

import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../devenv/repo-root.ts";

/** the bin users run: dist/ when current, else the sources */
const CLI = join(REPO_ROOT, "bin", "cpuidctl");
const run = promisify(execFile);

export function cpuidctl(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(CLI, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same without blocking the test process (for tests that serve NATS or agents meanwhile), with extra environment. */
export async function cpuidctlAsync(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(CLI, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
