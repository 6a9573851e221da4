// The detached process behind `npm run cluster:up`: runs the plane until it
// receives SIGTERM/SIGINT (`npm run cluster:down`), then stops it cleanly.
// Writes the env file only once everything is ready: its appearance is the
// readiness signal `up` waits for.

import { rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ControlPlane, REPO_ROOT } from "../../test/harness/control-plane.ts";
import { ensureControlPlaneBinaries } from "../toolchain/ensure.ts";
import { renderEnvFile } from "./env-file.ts";
import { clusterPaths } from "./paths.ts";

export async function serveCluster(hosts: readonly string[]): Promise<void> {
  const paths = clusterPaths(REPO_ROOT);
  const log = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);
  const binaries = await ensureControlPlaneBinaries({ log });
  const plane = await ControlPlane.start({ dir: paths.planeDir, hosts, binaries, log, keep: false });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the control plane`);
    rmSync(paths.envFile, { force: true });
    await plane.stop();
    rmSync(paths.pidFile, { force: true });
    log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));

  const info = plane.info();
  const pathDirs = [...new Set(Object.values(binaries).filter((b) => b.source !== "PATH").map((b) => dirname(b.path)))];
  writeFileSync(
    paths.envFile,
    renderEnvFile({ kubeconfig: info.kubeconfig, natsUrl: info.natsUrl, credsDir: info.credsDir, planeDir: info.dir, pathDirs }),
  );
  log(`ready: apiserver ${info.apiserverUrl}, nats ${info.natsUrl}, hosts ${info.hosts.join(", ")}`);
  // The plane's servers are separate processes; stay alive to own them.
  setInterval(() => {}, 1 << 30);
}
