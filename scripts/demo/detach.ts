// --detach and --stop: the demo as a background process, like
// `npm run cluster:up` / `cluster:down`. The detached process writes its
// output to <root>/demo.log; this side relays that log until the env file
// appears (the demo is up) or the process dies.

import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { ControlPlane } from "../../devenv/plane/control-plane.ts";
import { stopProcess } from "../../devenv/plane/managed-process.ts";
import { isProcessAlive, runningPid } from "../../devenv/toolchain/process-liveness.ts";
import type { DemoPaths } from "./paths.ts";
import type { FleetRecord } from "./run.ts";

const START_TIMEOUT_MS = 600_000; // includes a first build of the control-plane binaries
const STOP_GRACE_MS = 30_000;

/** Starts `serve` detached and relays its log; resolves with the exit code for this process. */
export async function detach(paths: DemoPaths, entry: string): Promise<number> {
  const out = openSync(paths.logFile, "w");
  const child = spawn(process.execPath, [entry, "serve", "--dir", paths.root], { detached: true, stdio: ["ignore", out, out] });
  closeSync(out);
  child.unref();
  const pid = child.pid!;
  writeFileSync(paths.pidFile, `${pid}\n`);
  const interrupt = () => void stopDemo(paths).then(() => process.exit(130));
  process.once("SIGINT", interrupt).once("SIGTERM", interrupt);

  const relay = logRelay(paths.logFile);
  const started = Date.now();
  while (!existsSync(paths.envFile)) {
    relay();
    if (!isProcessAlive(pid)) {
      relay();
      console.error(`the demo stopped before it was up (log: ${paths.logFile})`);
      await removeLeftovers(paths);
      return 1;
    }
    if (Date.now() - started > START_TIMEOUT_MS) {
      console.error(`the demo was not up after ${START_TIMEOUT_MS / 1000} s (log: ${paths.logFile})`);
      await stopDemo(paths);
      return 1;
    }
    await sleep(100);
  }
  relay();
  process.off("SIGINT", interrupt).off("SIGTERM", interrupt);
  return 0;
}

/** Stops a detached (or foreground) demo and whatever a crashed one left behind. */
export async function stopDemo(paths: DemoPaths): Promise<boolean> {
  const pid = runningPid(paths.pidFile);
  if (pid !== undefined) await stopProcess(pid, STOP_GRACE_MS);
  await removeLeftovers(paths);
  return pid !== undefined;
}

async function removeLeftovers(paths: DemoPaths): Promise<void> {
  if (existsSync(paths.fleetFile)) {
    const record = JSON.parse(readFileSync(paths.fleetFile, "utf8")) as FleetRecord;
    await Promise.all(Object.values(record.pids).filter(isProcessAlive).map((p) => stopProcess(p)));
  }
  await ControlPlane.removeLeftovers(paths.planeDir);
  rmSync(paths.dir, { recursive: true, force: true });
  rmSync(paths.envFile, { force: true });
  rmSync(paths.pidFile, { force: true });
}

/** Each call prints what was appended to the file since the last call. */
function logRelay(file: string): () => void {
  let offset = 0;
  const buffer = Buffer.alloc(64 * 1024);
  return () => {
    if (!existsSync(file)) return;
    const fd = openSync(file, "r");
    try {
      for (let n = readSync(fd, buffer, 0, buffer.length, offset); n > 0; n = readSync(fd, buffer, 0, buffer.length, offset)) {
        process.stdout.write(buffer.subarray(0, n));
        offset += n;
      }
    } finally {
      closeSync(fd);
    }
  };
}
