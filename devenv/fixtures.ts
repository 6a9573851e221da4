// Where the shared, real-world fixtures live (beside the repo, also in CI),
// and readers for them, for the tests and the benchmarks.

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { SHARED_DIR } from "./repo-root.ts";

export { SHARED_DIR };
export const FIXTURES_DIR = join(SHARED_DIR, "fixtures");
export const REFERENCE_DIR = join(SHARED_DIR, "reference");

export function readShared(...path: string[]): string {
  return readFileSync(join(SHARED_DIR, ...path), "utf8");
}

/** Every CPUID dump fixture, as [path relative to cpuid-dumps/, text]. */
export function cpuidDumpFixtures(): Array<[string, string]> {
  const dir = join(FIXTURES_DIR, "cpuid-dumps");
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((f) => [relative(dir, join(dir, f)), readFileSync(join(dir, f), "utf8")]);
}

export function xenCpuidFixture(name: string): string {
  return readFileSync(join(FIXTURES_DIR, "xen-cpuid", name), "utf8");
}
