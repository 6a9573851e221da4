// What the tests of deploy/prometheus and deploy/grafana share: the pinned
// promtool, and the names of the series the controller and the agent export
// (from their real registries), which alerts and dashboard queries may use.

import { ensureBinaries } from "../../../devenv/toolchain/ensure.ts";
import { createAgentMetrics } from "../../../agent/metrics.ts";
import { HostIndex } from "../../../controller/hosts/host-index.ts";
import { createManagerMetrics } from "../../../controller/manager/metrics.ts";
import { createMetrics } from "../../../controller/metrics.ts";
import { createPoolMetrics } from "../../../controller/pool/pool-metrics.ts";
import { createRolloutMetrics } from "../../../controller/rollout/rollout-metrics.ts";

/**
 * Room for a cold build of promtool: 7.6 CPU-minutes, 28 minutes measured on
 * a heavily loaded 2-core machine (BENCHMARKS.md); a cached one resolves at once.
 */
export const PROMTOOL_TIMEOUT_MS = 45 * 60_000;

/** the path of the pinned promtool, built on first use */
export async function ensurePromtool(): Promise<string> {
  return (await ensureBinaries(["promtool"])).promtool.path;
}

/** the series a metric of each type exposes, after its name */
const SUFFIXES: Record<string, string[]> = { histogram: ["_bucket", "_sum", "_count"], summary: ["", "_sum", "_count"] };

export async function daemonSeriesNames(): Promise<Set<string>> {
  const controller = createMetrics({ isLeader: () => true, domainPolicies: () => [], hosts: new HostIndex(() => undefined) });
  createManagerMetrics(controller.register, { isLeader: () => true, queueDepth: () => 0 });
  createPoolMetrics(controller.register, () => true, () => []);
  createRolloutMetrics(controller.register, () => true, () => []);
  const metrics = [...(await controller.register.getMetricsAsJSON()), ...(await createAgentMetrics("h1").register.getMetricsAsJSON())];
  return new Set(metrics.flatMap(({ name, type }) => (SUFFIXES[String(type)] ?? [""]).map((suffix) => name + suffix)));
}

/** the cpuid_* metric names a PromQL expression uses */
export function cpuidMetricNames(expr: string): string[] {
  return [...expr.matchAll(/\bcpuid_\w+/g)].map(([name]) => name);
}
