// --detach and --stop: the demo as a background process, like
// `npm run cluster:up` / `cluster:down` (devenv/background.ts). The detached
// process writes its output to <root>/demo.log; this side relays that log
// until the env file appears (the demo is up) or the process dies.

import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { startInBackground, stopBackground } from "../../devenv/background.ts";
import { ControlPlane } from "../../devenv/plane/control-plane.ts";
import { stopProcess } from "../../devenv/plane/managed-process.ts";
import { isProcessAlive } from "../../devenv/toolchain/process-liveness.ts";
import type { DemoPaths } from "./paths.ts";
import type { FleetRecord } from "./run.ts";

const START_TIMEOUT_MS = 600_000; // includes a first build of the control-plane binaries

/** Starts `serve` detached and relays its log; resolves with the exit code for this process. */
export async function detach(paths: DemoPaths, entry: string): Promise<number> {
  const interrupt = () => void stopDemo(paths).then(() => process.exit(130));
  process.once("SIGINT", interrupt).once("SIGTERM", interrupt);
  const relay = logRelay(paths.logFile);
  const outcome = await startInBackground(paths, { entry, args: ["--dir", paths.root], timeoutMs: START_TIMEOUT_MS, onWait: relay, pollMs: 100 });
  relay();
  process.off("SIGINT", interrupt).off("SIGTERM", interrupt);
  if (outcome === "exited") {
    console.error(`the demo stopped before it was up (log: ${paths.logFile})`);
    await removeLeftovers(paths);
    return 1;
  }
  if (outcome === "timeout") {
    console.error(`the demo was not up after ${START_TIMEOUT_MS / 1000} s (log: ${paths.logFile})`);
    await stopDemo(paths);
    return 1;
  }
  return 0;
}

/** Stops a detached (or foreground) demo and whatever a crashed one left behind. */
export async function stopDemo(paths: DemoPaths): Promise<boolean> {
  const stopped = await stopBackground(paths);
  await removeLeftovers(paths);
  return stopped;
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
