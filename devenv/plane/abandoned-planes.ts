// Planes whose owner was killed outright (SIGKILL, a session ended) leave
// their servers running. Before a new plane starts, stop those of any plane
// under the temp dir whose owner process is gone, and remove its directories.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive } from "../toolchain/process-liveness.ts";
import { COMPONENTS } from "./components.ts";
import { planeLayout } from "./layout.ts";
import { stopProcess } from "./managed-process.ts";
import { type PlaneState, readPlaneState, removePlaneDirs } from "./plane-state.ts";

export async function reapAbandonedPlanes(parentDir: string, prefix: string, log: (line: string) => void): Promise<void> {
  for (const entry of readdirSync(parentDir)) {
    if (!entry.startsWith(prefix)) continue;
    let state: PlaneState;
    try {
      state = readPlaneState(planeLayout(join(parentDir, entry)).stateFile);
    } catch {
      continue; // being created, or not a plane
    }
    if (state.ownerPid === undefined || isProcessAlive(state.ownerPid)) continue;
    const running = COMPONENTS.filter((name) => {
      const pid = state.pids[name];
      return pid !== undefined && runsBinary(pid, state.binaries[name]);
    });
    if (running.length === 0 && !state.removeOnStop) continue;
    log(`stopping abandoned plane ${state.dir} (owner pid ${state.ownerPid} is gone): ${running.join(", ") || "no servers"}`);
    await Promise.all(running.map((name) => stopProcess(state.pids[name]!)));
    if (state.removeOnStop) removePlaneDirs(state);
  }
}

/** The pid is still the server we started (not a reused pid). */
function runsBinary(pid: number, binary: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] === binary;
  } catch {
    return false;
  }
}
