// Long-running server processes of the control plane: each in its own process
// group (so stopping it also stops anything it forked), output appended to its
// own log file, tracked by pid so that any process — the one that started it,
// a test worker, `cluster down` — can stop it.

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { isProcessAlive } from "../toolchain/process-liveness.ts";

export interface ProcessSpec {
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the process detached; its pid is also its process group id. The
 * handle's 'exit' event gives the exit code to a caller that keeps it.
 */
export function startProcess(spec: ProcessSpec): ChildProcess {
  const fd = openSync(spec.logFile, "a");
  try {
    writeSync(fd, `\n=== ${new Date().toISOString()} starting ${spec.name}: ${spec.command} ${spec.args.join(" ")}\n`);
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: spec.env ?? process.env,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
    child.on("error", () => {}); // exit is observed through the pid
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the leader is gone. */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<void> {
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) {
      signalGroup(pid, "SIGKILL");
      while (isProcessAlive(pid)) await sleep(20);
      return;
    }
    await sleep(20);
  }
  signalGroup(pid, "SIGKILL"); // stragglers the leader left behind
}

/** For exit handlers, which cannot wait: SIGKILL the whole group now. */
export function killProcessGroupNow(pid: number): void {
  signalGroup(pid, "SIGKILL");
}

export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  process.kill(pid, signal);
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}
