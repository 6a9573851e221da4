// npm run demo: a local fleet of six simulated Xen hosts on the local control
// plane, with the controller reconciling the policies in examples/.
//
//   npm run demo                  run in the foreground; Ctrl-C stops everything
//   npm run demo -- --detach      run in the background, write .cpuid-fleet/env
//   npm run demo -- --stop        stop the background demo
//   --dir <path>                  keep the demo's files there instead of .cpuid-fleet/
//
// The pieces are in scripts/demo/ (demo-specific) and devenv/ (control
// plane, controller and agent processes, background runs; shared with
// cluster:up, the benchmarks and the tests).

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../devenv/repo-root.ts";
import { detach, stopDemo } from "./demo/detach.ts";
import { runningPid } from "../devenv/toolchain/process-liveness.ts";
import { demoPaths, type DemoPaths } from "./demo/paths.ts";
import { consoleProgress } from "./demo/progress.ts";
import { runDemo } from "./demo/run.ts";
import { runMain } from "./run-main.ts";

const USAGE = "usage: npm run demo [-- --detach | --stop] [--dir <path>]";

function refuseIfRunning(paths: DemoPaths): boolean {
  const demo = runningPid(paths.pidFile);
  const cluster = runningPid(paths.clusterPidFile);
  if (demo !== undefined) console.error(`the demo is already running (pid ${demo}); stop it with: npm run demo -- --stop`);
  else if (cluster !== undefined) console.error(`npm run cluster:up is running (pid ${cluster}) and owns ${paths.envFile}; stop it first: npm run cluster:down`);
  return demo !== undefined || cluster !== undefined;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { detach: { type: "boolean" }, stop: { type: "boolean" }, dir: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const paths = demoPaths(resolve(values.dir ?? join(REPO_ROOT, ".cpuid-fleet")));
  if (positionals[0] === "serve") {
    await runDemo(paths, consoleProgress(), true);
    return -1;
  }
  if (positionals.length > 0 || (values.detach && values.stop)) {
    console.error(USAGE);
    return 2;
  }
  if (values.stop) {
    console.log((await stopDemo(paths)) ? "stopped" : "no demo was running (leftovers, if any, removed)");
    return 0;
  }
  if (refuseIfRunning(paths)) return 1;
  await stopDemo(paths); // what a crashed run left behind
  mkdirSync(paths.root, { recursive: true });
  if (values.detach) return detach(paths, import.meta.filename);
  writeFileSync(paths.pidFile, `${process.pid}\n`);
  await runDemo(paths, consoleProgress(), false);
  return -1; // runs until Ctrl-C
}

await runMain(main);
