// A local environment run in the background, as `npm run cluster:up` and
// `npm run demo -- --detach` do: this process starts `node <entry> serve …`
// detached (output to a log file, pid to a pid file) and waits until the
// background process writes the env file, which it does once everything is
// ready; `stop` signals it by pid, and on SIGINT/SIGTERM the background
// process stops what it runs, removes both files and exits.
//
//   <root>/env          source it: KUBECONFIG, NATS_URL, … (one at a time: cluster or demo)
//   <root>/<name>.pid   the background process
//   <root>/<name>.log   its output

import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { renderEnvFile } from "./env-file.ts";
import type { PlaneInfo } from "./plane/control-plane.ts";
import { killProcessGroupNow, stopProcess } from "./plane/managed-process.ts";
import { isProcessAlive, runningPid } from "./toolchain/process-liveness.ts";

export interface BackgroundFiles {
  root: string;
  envFile: string;
  pidFile: string;
  logFile: string;
}

export function backgroundFiles(root: string, name: string): BackgroundFiles {
  return { root, envFile: join(root, "env"), pidFile: join(root, `${name}.pid`), logFile: join(root, `${name}.log`) };
}

export interface BackgroundStart {
  /** the script to run with `serve` and `args` */
  entry: string;
  args: readonly string[];
  timeoutMs: number;
  /** called about every `pollMs` while waiting (e.g. to relay the log) */
  onWait?: () => void;
  pollMs?: number;
}

export type BackgroundOutcome = "ready" | "exited" | "timeout";

/** Starts the background process and waits until its env file appears, it exits, or the time runs out. */
export async function startInBackground(files: BackgroundFiles, start: BackgroundStart): Promise<BackgroundOutcome> {
  mkdirSync(files.root, { recursive: true });
  const out = openSync(files.logFile, "w");
  const child = spawn(process.execPath, [start.entry, "serve", ...start.args], { detached: true, stdio: ["ignore", out, out] });
  closeSync(out);
  child.unref();
  const pid = child.pid!;
  writeFileSync(files.pidFile, `${pid}\n`);
  const started = Date.now();
  for (;;) {
    start.onWait?.();
    if (existsSync(files.envFile)) return "ready";
    if (!isProcessAlive(pid)) return "exited";
    if (Date.now() - started > start.timeoutMs) return "timeout";
    await sleep(start.pollMs ?? 200);
  }
}

/** Stops the background process (SIGTERM, SIGKILL after `graceMs`); false when none was running. */
export async function stopBackground(files: BackgroundFiles, graceMs = 30_000): Promise<boolean> {
  const pid = runningPid(files.pidFile);
  if (pid === undefined) return false;
  await stopProcess(pid, graceMs);
  killProcessGroupNow(pid);
  return true;
}

/**
 * The background side, from when there is something to stop: on SIGINT or
 * SIGTERM, removes the env file, runs `stop`, removes the pid file and exits
 * 0. A second signal while stopping is ignored (npm forwards the terminal's
 * SIGINT as well).
 */
export function stopOnSignals(files: BackgroundFiles, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    rmSync(files.envFile, { force: true });
    void stop(signal).then(() => {
      rmSync(files.pidFile, { force: true });
      process.exit(0);
    });
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
}

/** The background side, once everything is ready: writes the env file for `plane` and keeps this process alive until signalled. */
export function announceReady(files: BackgroundFiles, plane: PlaneInfo): void {
  writeFileSync(
    files.envFile,
    renderEnvFile({ kubeconfig: plane.kubeconfig, natsUrl: plane.natsUrl, credsDir: plane.credsDir, planeDir: plane.dir, pathDirs: [plane.binDir] }),
  );
  // The servers are separate processes; stay alive to own them until signalled.
  setInterval(() => {}, 1 << 30);
}
