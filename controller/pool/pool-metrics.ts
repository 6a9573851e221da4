// Pool metrics: members and refused hosts per pool, read from the pools'
// statuses at scrape time (leader only, like the other cache gauges), and the
// level changes this replica made.

import client, { type Registry } from "prom-client";
import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";

export interface PoolMetrics {
  levelChanges: client.Counter<"pool">;
  /** drops a deleted pool's series */
  forget(pool: string): void;
}

export function createPoolMetrics(register: Registry, isLeader: () => boolean, pools: () => readonly CpuidPoolObject[]): PoolMetrics {
  const registers = [register];
  const gauge = (name: string, help: string, value: (p: CpuidPoolObject) => number) =>
    new client.Gauge({
      name,
      help,
      labelNames: ["pool"],
      registers,
      collect() {
        this.reset();
        if (!isLeader()) return;
        for (const p of pools()) if (p.status) this.set({ pool: p.metadata.name! }, value(p));
      },
    });
  gauge("cpuid_pool_members", "Members of each CpuidPool (selected hosts that can run its level)", (p) => p.status?.memberCount ?? 0);
  gauge("cpuid_pool_incompatible_hosts", "Hosts each CpuidPool selects but refuses because they cannot run its pinned level", (p) => p.status?.incompatibleHosts?.length ?? 0);
  const levelChanges = new client.Counter({
    name: "cpuid_pool_level_changes_total",
    help: "Times a CpuidPool's level changed after it was first computed (Automatic pools following membership, confirmed relevels of Pinned pools)",
    labelNames: ["pool"],
    registers,
  });
  return { levelChanges, forget: (pool) => levelChanges.remove({ pool }) };
}
