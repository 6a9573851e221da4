// The manager's own metrics, on the controller's registry: leadership, work
// queue depth and reconcile durations of every registered controller.

import client, { type Registry } from "prom-client";

export interface ManagerMetrics {
  reconcileDuration: client.Histogram<"kind" | "result">;
  leaderTransitions: client.Counter<"to">;
}

export function createManagerMetrics(register: Registry, sources: { isLeader(): boolean; queueDepth(): number }): ManagerMetrics {
  const registers = [register];
  new client.Gauge({
    name: "cpuid_controller_leader",
    help: "1 when this replica holds the leader lease",
    registers,
    collect() {
      this.set(sources.isLeader() ? 1 : 0);
    },
  });
  new client.Gauge({
    name: "cpuid_workqueue_depth",
    help: "Keys waiting in the reconcile work queue",
    registers,
    collect() {
      this.set(sources.queueDepth());
    },
  });
  return {
    reconcileDuration: new client.Histogram({
      name: "cpuid_reconcile_duration_seconds",
      help: "Duration of one reconcile, by kind (domain, host, sweep) and result (ok, retry, error)",
      labelNames: ["kind", "result"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    leaderTransitions: new client.Counter({
      name: "cpuid_leader_transitions_total",
      help: "Times this replica became (to=leader) or stopped being (to=follower) the leader",
      labelNames: ["to"],
      registers,
    }),
  };
}
