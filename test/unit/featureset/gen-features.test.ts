// The committed feature and dependency tables are what scripts/gen-features.ts
// generates from ../shared/reference today.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

it("node scripts/gen-features.ts --check finds the generated tables up to date", () => {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "scripts", "gen-features.ts"), "--check"], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
}, 60_000);
