// `npm run demo -- --detach` as a user runs it, timed: from the command's
// start until the settled summary (the demo's own clock, as its progress
// lines show it; goal <= 30 s with the binaries cached), the whole
// `--detach` command, and `--stop` (controller, agents, control plane),
// with the shutdown time the demo itself reports.
//
//   node_modules/.bin/node bench/demo.ts [--runs N]

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { promisify } from "node:util";
import { REPO_ROOT } from "../devenv/repo-root.ts";
import { ensureControlPlaneBinaries } from "../devenv/toolchain/ensure.ts";
import { demoPaths } from "../scripts/demo/paths.ts";
import type { FleetRecord } from "../scripts/demo/run.ts";
import { percentile } from "./fleet/process-stats.ts";
import { machine } from "./support/machine.ts";

const FIRST_SUMMARY_GOAL_S = 30;
const run = promisify(execFile);
const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const DEMO = join(REPO_ROOT, "scripts", "demo.ts");

interface Run {
  firstSummaryS: number;
  detachS: number;
  stopS: number;
  /** what the demo printed: "stopped in N s" */
  shutdownS: number;
}

async function once(): Promise<Run> {
  const root = mkdtempSync(join(tmpdir(), "cpuid-fleet-bench-demo-"));
  const paths = demoPaths(root);
  try {
    const t0 = performance.now();
    await run(NODE, [DEMO, "--detach", "--dir", root], { cwd: REPO_ROOT, timeout: 300_000 });
    const detachS = (performance.now() - t0) / 1000;
    const record = JSON.parse(readFileSync(paths.fleetFile, "utf8")) as FleetRecord;
    const t1 = performance.now();
    await run(NODE, [DEMO, "--stop", "--dir", root], { cwd: REPO_ROOT, timeout: 120_000 });
    const stopS = (performance.now() - t1) / 1000;
    const shutdown = /stopped in ([\d.]+) s/.exec(readFileSync(paths.logFile, "utf8"));
    if (!shutdown) throw new Error(`the demo did not report its shutdown (log ${paths.logFile})`);
    return { firstSummaryS: record.firstSummarySeconds, detachS, stopS, shutdownS: Number(shutdown[1]) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs needs a positive integer");
  await ensureControlPlaneBinaries();
  console.log(`npm run demo -- --detach, then --stop; ${runs} runs, ${machine()}`);
  const results: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await once();
    results.push(r);
    console.log(
      `run ${i + 1}: settled summary after ${r.firstSummaryS.toFixed(1)} s (--detach returned after ${r.detachS.toFixed(1)} s); ` +
        `--stop ${r.stopS.toFixed(1)} s (the demo's shutdown: ${r.shutdownS.toFixed(1)} s)`,
    );
  }
  const median = (pick: (r: Run) => number) => percentile(results.map(pick).sort((a, b) => a - b), 50);
  const summary = median((r) => r.firstSummaryS);
  console.log(
    `median: settled summary ${summary.toFixed(1)} s (goal <= ${FIRST_SUMMARY_GOAL_S} s: ${summary <= FIRST_SUMMARY_GOAL_S ? "met" : "MISSED"}), ` +
      `--stop ${median((r) => r.stopS).toFixed(1)} s, shutdown ${median((r) => r.shutdownS).toFixed(1)} s`,
  );
}

await main();
