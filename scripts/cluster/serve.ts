// The detached process behind `npm run cluster:up`: runs the plane until it
// receives SIGTERM/SIGINT (`npm run cluster:down`), then stops it cleanly.
// Writes the env file only once everything is ready: its appearance is the
// readiness signal `up` waits for.

import { announceReady, stopOnSignals } from "../../devenv/background.ts";
import { ControlPlane } from "../../devenv/plane/control-plane.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";
import { ensureControlPlaneBinaries } from "../../devenv/toolchain/ensure.ts";
import { clusterPaths } from "./paths.ts";

export async function serveCluster(hosts: readonly string[]): Promise<void> {
  const paths = clusterPaths(REPO_ROOT);
  const log = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);
  const binaries = await ensureControlPlaneBinaries({ log });
  const plane = await ControlPlane.start({ dir: paths.planeDir, hosts, binaries, log, keep: false });
  stopOnSignals(paths, async (signal) => {
    log(`${signal}: stopping the control plane`);
    await plane.stop();
    log("stopped");
  });
  const info = plane.info();
  announceReady(paths, info);
  log(`ready: apiserver ${info.apiserverUrl}, nats ${info.natsUrl}, hosts ${info.hosts.join(", ")}`);
}
