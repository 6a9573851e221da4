// What the benchmarks over a large simulated fleet share: the scratch
// directory, and waiting for the controller to lead and to have mirrored
// every host.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ControllerProcess } from "../../devenv/daemons/controller.ts";

/** etcd already lives on tmpfs; the agents' fsynced state should too. */
export function scratchDir(prefix: string): string {
  try {
    return mkdtempSync(join("/dev/shm", prefix));
  } catch {
    return mkdtempSync(join(tmpdir(), prefix));
  }
}

export async function waitForLeader(controller: ControllerProcess): Promise<void> {
  while (!(await controller.isLeader())) await sleep(100);
}

/**
 * Until the controller has mirrored every host and has nothing queued (the
 * start-up sweeps done): in a fleet, hosts are up long before policies come.
 */
export async function waitForSettledHosts(metricsUrl: string, hostCount: number): Promise<void> {
  let idlePolls = 0;
  while (idlePolls < 3) {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    const hostWrites = Number(/^cpuid_status_writes_total\{kind="host"\} (\S+)$/m.exec(text)?.[1] ?? 0);
    const depth = Number(/^cpuid_workqueue_depth (\S+)$/m.exec(text)?.[1] ?? NaN);
    idlePolls = hostWrites >= hostCount && depth === 0 ? idlePolls + 1 : 0;
    await sleep(500);
  }
}
