// Rollout metrics, read from the rollouts' statuses at scrape time (leader
// only, like the other cache gauges): policies per outcome, the wave in
// progress, and whether the rollout is halted.

import client, { type Registry } from "prom-client";
import type { CpuidRolloutObject, RolloutCounts } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import { findCondition } from "../status/conditions.ts";

const OUTCOMES: readonly (keyof RolloutCounts)[] = ["applied", "staged", "failed", "progressing", "pending", "deleted"];

export function createRolloutMetrics(register: Registry, isLeader: () => boolean, rollouts: () => readonly CpuidRolloutObject[]): void {
  const registers = [register];
  const each = (collect: (r: CpuidRolloutObject) => void) => () => {
    if (!isLeader()) return;
    for (const r of rollouts()) if (r.status) collect(r);
  };
  new client.Gauge({
    name: "cpuid_rollout_policies",
    help: "Planned DomainCpuidPolicies of each CpuidRollout by outcome: applied, staged (both done), failed, progressing, pending, deleted",
    labelNames: ["rollout", "outcome"],
    registers,
    collect() {
      this.reset();
      each((r) => {
        for (const outcome of OUTCOMES) this.set({ rollout: r.metadata.name!, outcome }, r.status?.counts?.[outcome] ?? 0);
      })();
    },
  });
  new client.Gauge({
    name: "cpuid_rollout_wave",
    help: "The wave each CpuidRollout is at (1-based; 0 before the first), out of cpuid_rollout_waves",
    labelNames: ["rollout"],
    registers,
    collect() {
      this.reset();
      each((r) => this.set({ rollout: r.metadata.name! }, (r.status?.currentWave ?? -1) + 1))();
    },
  });
  new client.Gauge({
    name: "cpuid_rollout_waves",
    help: "How many waves each CpuidRollout's plan has",
    labelNames: ["rollout"],
    registers,
    collect() {
      this.reset();
      each((r) => this.set({ rollout: r.metadata.name! }, r.status?.waveCount ?? 0))();
    },
  });
  new client.Gauge({
    name: "cpuid_rollout_halted",
    help: "1 while a CpuidRollout is halted (too many failures, or its change edited after planning) and waits for resume or rollback",
    labelNames: ["rollout"],
    registers,
    collect() {
      this.reset();
      each((r) => this.set({ rollout: r.metadata.name! }, findCondition(r.status?.conditions, "Halted")?.status === "True" ? 1 : 0))();
    },
  });
}
