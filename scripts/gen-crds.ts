// Writes crds/*.yaml from the zod schemas (shared/api/v1alpha1/crds.ts).
// `--check` exits 1 when the committed files differ from the generator's output.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { allCrds, renderCrdYaml } from "../shared/api/v1alpha1/crds.ts";

const crdsDir = join(import.meta.dirname, "..", "crds");
const check = process.argv.includes("--check");
let stale = 0;

for (const { fileName, crd } of allCrds()) {
  const path = join(crdsDir, fileName);
  const text = renderCrdYaml(crd);
  if (check) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error(`crds/${fileName} is out of date; run node scripts/gen-crds.ts`);
      stale++;
    }
  } else {
    writeFileSync(path, text);
    console.log(`wrote crds/${fileName}`);
  }
}
process.exitCode = stale ? 1 : 0;
