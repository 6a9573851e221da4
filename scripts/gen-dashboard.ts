// Writes deploy/grafana/cpuid-fleet.json from scripts/grafana/dashboard.ts.
// `--check` exits 1 when the committed file differs from the generator's output.

import { renderDashboard } from "./grafana/dashboard.ts";
import { writeOrCheck } from "./generated-files.ts";

process.exitCode = writeOrCheck([{ file: "deploy/grafana/cpuid-fleet.json", text: renderDashboard() }], "scripts/gen-dashboard.ts");
