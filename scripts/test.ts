// Runs the type check and the linter (each counted as one test: vitest strips
// types without checking them) and the whole test suite (unit + integration +
// e2e), and ends with the plain summary line CI reads: "N passed, N failed, N skipped".
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../devenv/repo-root.ts";

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: Array<{ status: string; assertionResults: unknown[] }>;
}

const root = REPO_ROOT;
const out = join(root, ".cpuid-fleet", "vitest-results.json");
mkdirSync(join(root, ".cpuid-fleet"), { recursive: true });
rmSync(out, { force: true });

function check(name: string, tool: string, args: string[]): boolean {
  console.log(`${name}: ${tool} ${args.join(" ")}`);
  const ok = spawnSync(join(root, "node_modules", ".bin", tool), args, { cwd: root, stdio: "inherit" }).status === 0;
  console.log(`${name} ${ok ? "passed" : "FAILED"}`);
  return ok;
}

const checks = [check("type check", "tsc", ["--noEmit", "-p", "."]), check("lint", "eslint", ["--max-warnings", "0", "."])];

const vitest = join(root, "node_modules", ".bin", "vitest");
const run = spawnSync(
  vitest,
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit" },
);

let passed: number;
let failed: number;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(out, "utf8")) as VitestJson;
  passed = r.numPassedTests;
  // A file that fails to load has no test results but is still a failure.
  const unloadable = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  failed = r.numFailedTests + unloadable;
  skipped = r.numPendingTests + r.numTodoTests;
} catch {
  passed = 0;
  failed = 1;
}
if (run.status !== 0 && failed === 0) failed = 1;
for (const ok of checks) {
  if (ok) passed++;
  else failed++;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
