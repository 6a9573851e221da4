// Writes crds/*.yaml from the zod schemas (shared/api/v1alpha1/crds.ts).
// `--check` exits 1 when the committed files differ from the generator's output.

import { allCrds, renderCrdYaml } from "../shared/api/v1alpha1/crds.ts";
import { writeOrCheck } from "./generated-files.ts";

process.exitCode = writeOrCheck(
  allCrds().map(({ fileName, crd }) => ({ file: `crds/${fileName}`, text: renderCrdYaml(crd) })),
  "scripts/gen-crds.ts",
);
