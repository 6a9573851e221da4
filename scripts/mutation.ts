// Mutation testing of the policy engine and the controller's decisions with
// StrykerJS (stryker.config.json), at nice 15: the machine is shared.
// Not part of `npm test`.
//   npm run mutation                          every folder of the config
//   npm run mutation -- shared/policy         the config's entries under these paths
//   npm run mutation -- shared/level/tsc.ts   one file of an entry's folder
//   npm run mutation -- shared/level -- --concurrency 2   (after "--": stryker options)
// Each selection keeps its own incremental file under reports/incremental/.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, SHARED_DIR } from "../devenv/repo-root.ts";

const args = process.argv.slice(2);
const split = args.indexOf("--");
const paths = split < 0 ? args : args.slice(0, split);
const strykerArgs = split < 0 ? [] : args.slice(split + 1);

const config = JSON.parse(readFileSync(join(REPO_ROOT, "stryker.config.json"), "utf8")) as { mutate: string[] };
// A path selects the config's entries under it, or one file inside an entry's folder.
const folderOf = (entry: string) => entry.replace(/\/\*\*.*$/, "");
const select = (path: string) => {
  const under = config.mutate.filter((m) => m.startsWith(path));
  return under.length || !config.mutate.some((m) => path.startsWith(`${folderOf(m)}/`)) ? under : [path];
};
const mutate = paths.length ? paths.flatMap((p) => select(p.replace(/\/$/, ""))) : config.mutate;
if (mutate.length === 0) {
  console.error(`no entry of stryker.config.json's "mutate" is under ${paths.join(", ")}`);
  process.exit(2);
}
const selection = paths.length ? paths.map((p) => p.replace(/\/$/, "").replaceAll("/", "-")).join("+") : "all";

// Stryker runs the tests in .stryker-tmp/sandbox-*/, and the tests read the
// fixtures beside the repo (../shared): give the sandboxes the same neighbour.
const tempDir = join(REPO_ROOT, ".stryker-tmp");
mkdirSync(tempDir, { recursive: true });
rmSync(join(tempDir, "shared"), { force: true });
symlinkSync(SHARED_DIR, join(tempDir, "shared"));

const stryker = join(REPO_ROOT, "node_modules", ".bin", "stryker");
const run = spawnSync(
  "nice",
  [
    "-n", "15", stryker, "run",
    "--mutate", mutate.join(","),
    "--incrementalFile", join("reports", "incremental", `${selection}.json`),
    ...strykerArgs,
  ],
  { cwd: REPO_ROOT, stdio: "inherit" },
);
process.exit(run.status ?? 1);
