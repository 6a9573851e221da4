// Developer cluster: the local control plane running in the background.
//
//   npm run cluster:up [-- --hosts host-a,host-b]   start it, write .cpuid-fleet/env
//   npm run cluster:down                            stop it and clean up
//   node scripts/cluster.ts status                  is it running?

import { readFileSync, rmSync } from "node:fs";
import { relative } from "node:path";
import { startInBackground, stopBackground } from "../devenv/background.ts";
import { ControlPlane } from "../devenv/plane/control-plane.ts";
import { REPO_ROOT } from "../devenv/repo-root.ts";
import { ensureControlPlaneBinaries } from "../devenv/toolchain/ensure.ts";
import { runningPid } from "../devenv/toolchain/process-liveness.ts";
import { tailLines } from "../devenv/toolchain/run-logged.ts";
import { clusterPaths } from "./cluster/paths.ts";
import { serveCluster } from "./cluster/serve.ts";
import { runMain } from "./run-main.ts";

const paths = clusterPaths(REPO_ROOT);
const DEFAULT_HOSTS = ["host-a", "host-b"];
const READY_TIMEOUT_MS = 180_000;

/** Leftovers of a cluster whose background process died without cleaning up. */
async function removeLeftovers(): Promise<void> {
  await ControlPlane.removeLeftovers(paths.planeDir);
  rmSync(paths.envFile, { force: true });
  rmSync(paths.pidFile, { force: true });
}

function printUsage(): void {
  const env = relative(process.cwd(), paths.envFile) || paths.envFile;
  console.log(
    [
      "",
      `cpuid-fleet control plane is running (log: ${paths.logFile}).`,
      `  source ${env}     # sets KUBECONFIG, NATS_URL, CPUID_FLEET_CREDS_DIR and PATH`,
      "  kubectl get ns",
      "  npm run cluster:down",
      "",
      readFileSync(paths.envFile, "utf8"),
    ].join("\n"),
  );
}

async function up(hosts: string[]): Promise<number> {
  if (runningPid(paths.pidFile) !== undefined) {
    console.log("already running");
    printUsage();
    return 0;
  }
  await removeLeftovers();
  // In the foreground, so a first build's progress is visible here.
  await ensureControlPlaneBinaries();

  const started = Date.now();
  const outcome = await startInBackground(paths, { entry: import.meta.filename, args: ["--hosts", hosts.join(",")], timeoutMs: READY_TIMEOUT_MS });
  if (outcome === "exited") {
    console.error(`the control plane failed to start; ${paths.logFile}:\n${tailLines(paths.logFile, 40)}`);
    await removeLeftovers();
    return 1;
  }
  if (outcome === "timeout") {
    console.error(`the control plane was not ready after ${READY_TIMEOUT_MS / 1000} s; ${paths.logFile}:\n${tailLines(paths.logFile, 40)}`);
    await down();
    return 1;
  }
  console.log(`started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  printUsage();
  return 0;
}

async function down(): Promise<number> {
  if (!(await stopBackground(paths))) console.log("no running control plane");
  await removeLeftovers();
  console.log("stopped");
  return 0;
}

function status(): number {
  const pid = runningPid(paths.pidFile);
  console.log(pid === undefined ? "not running" : `running (pid ${pid}); env: ${paths.envFile}`);
  return pid === undefined ? 3 : 0;
}

function hostsArg(args: string[]): string[] {
  const i = args.indexOf("--hosts");
  if (i < 0) return DEFAULT_HOSTS;
  return (args[i + 1] ?? "").split(",").filter(Boolean);
}

async function main(args: string[]): Promise<number> {
  switch (args[0]) {
    case "up":
      return up(hostsArg(args));
    case "down":
      return down();
    case "status":
      return status();
    case "serve":
      await serveCluster(hostsArg(args));
      return -1; // keeps running until signalled
    default:
      console.error("usage: node scripts/cluster.ts up [--hosts a,b] | down | status");
      return 2;
  }
}

await runMain(main);
