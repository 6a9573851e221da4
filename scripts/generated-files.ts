// What the generators (gen-crds, gen-features, gen-dashboard) share: write their files, or
// with `--check` compare the committed files with what they would write and
// exit 1 when one differs.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");

export interface GeneratedFile {
  /** relative to the repository root */
  file: string;
  text: string;
}

export function writeOrCheck(files: readonly GeneratedFile[], generator: string, argv: readonly string[] = process.argv): number {
  const check = argv.includes("--check");
  let stale = 0;
  for (const { file, text } of files) {
    const path = join(ROOT, file);
    if (!check) {
      writeFileSync(path, text);
      console.log(`wrote ${file}`);
      continue;
    }
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error(`${file} is out of date; run node ${generator}`);
      stale++;
    }
  }
  return stale ? 1 : 0;
}
