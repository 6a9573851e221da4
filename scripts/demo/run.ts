// One run of the demo, in the foreground or as the detached process behind
// --detach: fleet up → kubectl apply -f examples/ → wait until settled →
// summary → kubectl apply -f examples/pools/ → wait until levelled → pools
// and where each domain could move → kubectl apply -f examples/rollouts/ →
// wait until done → their waves → fleet report → env file → keep running
// until SIGINT/SIGTERM, then stop it all (controller, agents, control plane,
// in that order) and say how long that took.

import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { announceReady, stopOnSignals } from "../../devenv/background.ts";
import { DEMO_HOSTS, POOLS_DIR, ROLLOUTS_DIR } from "./hosts.ts";
import { examplePolicies, examplePools, exampleRollouts, kubectlApply } from "./examples.ts";
import { renderRollouts, waitForRollouts } from "./rollouts.ts";
import type { DemoPaths } from "./paths.ts";
import { waitForPools } from "./pools.ts";
import { renderPools } from "./pools-summary.ts";
import type { Progress } from "./progress.ts";
import { writeFleetReport } from "./report.ts";
import { waitUntilSettled } from "./settle.ts";
import { startDemoFleet, type DemoFleet } from "./start-fleet.ts";
import { renderSummary } from "./summary.ts";
import { renderUsage } from "./usage.ts";

const SETTLE_TIMEOUT_MS = 60_000;

/** What --stop and the tests read: the processes and endpoints of the running fleet. */
export interface FleetRecord {
  pids: Record<string, number>;
  planeDir: string;
  controllerMetricsUrl: string;
  agents: { hostId: string; metricsUrl: string; stateDir: string }[];
  firstSummarySeconds: number;
}

export async function runDemo(paths: DemoPaths, progress: Progress, detached: boolean): Promise<void> {
  // Until the fleet object exists, exiting is the way to stop: the exit hooks
  // of the control plane and of the daemon processes kill what was started.
  const early = (signal: NodeJS.Signals) => process.exit(signal === "SIGINT" ? 130 : 143);
  process.on("SIGINT", early).on("SIGTERM", early);

  progress.print("cpuid-fleet demo: six simulated Xen hosts, the controller, and the policies in examples/\n");
  const fleet: DemoFleet = await startDemoFleet(paths, progress);
  process.off("SIGINT", early).off("SIGTERM", early);
  stopOnSignals(paths, async (signal) => {
    progress.print(`\n${signal}: stopping the controller, then the agents, then the control plane…`);
    const started = performance.now();
    await fleet.stop();
    progress.print(`stopped in ${((performance.now() - started) / 1000).toFixed(1)} s; nothing left running.`);
  });

  const examples = examplePolicies();
  progress.step(`kubectl apply -f examples/ (${examples.length} DomainCpuidPolicies)`);
  for (const line of await kubectlApply(fleet.plane.info())) progress.detail(line);

  const snapshot = await waitUntilSettled(fleet.kube, examples, DEMO_HOSTS.map((h) => h.id), SETTLE_TIMEOUT_MS);
  const firstSummarySeconds = progress.elapsedSeconds();
  progress.step(snapshot.settled ? "every policy settled" : `not settled after ${SETTLE_TIMEOUT_MS / 1000} s`);
  progress.print(`\n${renderSummary(snapshot)}`);

  const info = fleet.plane.info();
  const pools = examplePools();
  progress.step(`kubectl apply -f examples/pools/ (CpuidPools ${pools.join(", ")}; their levels are pinned over the hosts mirrored now)`);
  for (const line of await kubectlApply(info, POOLS_DIR)) progress.detail(line);
  const levelled = await waitForPools(fleet.kube, pools, snapshot.hosts, snapshot.policies, SETTLE_TIMEOUT_MS);
  progress.step(levelled.settled ? "every pool levelled" : `pools not levelled after ${SETTLE_TIMEOUT_MS / 1000} s`);
  progress.print(`\n${renderPools(levelled)}`);

  const rolloutNames = exampleRollouts();
  progress.step(`kubectl apply -f examples/rollouts/ (CpuidRollouts ${rolloutNames.join(", ")})`);
  for (const line of await kubectlApply(info, ROLLOUTS_DIR)) progress.detail(line);
  const rolled = await waitForRollouts(fleet.kube, rolloutNames, SETTLE_TIMEOUT_MS);
  progress.step(rolled.settled ? "every rollout done" : `rollouts not done after ${SETTLE_TIMEOUT_MS / 1000} s`);
  progress.print(`\n${renderRollouts(rolled.rollouts)}`);

  await writeFleetReport(info, paths.reportFile);
  progress.step(`fleet report written: ${relative(process.cwd(), paths.reportFile) || paths.reportFile} (open it in a browser)`);
  progress.print("");

  const record: FleetRecord = {
    pids: fleet.pids(),
    planeDir: info.dir,
    controllerMetricsUrl: fleet.controller.metricsUrl,
    agents: fleet.agents.map((a) => ({ hostId: a.hostId, metricsUrl: a.metricsUrl, stateDir: a.stateDir })),
    firstSummarySeconds,
  };
  writeFileSync(paths.fleetFile, JSON.stringify(record, null, 2) + "\n");
  progress.print(renderUsage({ paths, controller: fleet.controller, agents: fleet.agents, detached }));
  // Last: its appearance tells `--detach` that the demo is up (as with cluster:up).
  announceReady(paths, info);
}
