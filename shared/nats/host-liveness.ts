// When a host counts as stale: the one rule behind the controller's
// HostCpuidPolicy Ready/Stale conditions and cpuid_hosts{state}, and
// `cpuidctl hosts list`. A host is stale once it has been silent (no
// heartbeat, no publication) for MISSED_HEARTBEATS of its own heartbeat
// intervals. Each agent announces its interval in its HostPolicies; entries
// from agents that do not are judged by the agents' default interval. Pure.

export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 15;
export const MISSED_HEARTBEATS = 3;

export type HostLiveness = "ok" | "stale";

/** How long a host with this heartbeat interval may be silent before it is stale. */
export function staleAfterMs(heartbeatIntervalSeconds: number = DEFAULT_HEARTBEAT_INTERVAL_SECONDS): number {
  return MISSED_HEARTBEATS * heartbeatIntervalSeconds * 1000;
}

export function hostLiveness(lastHeardMs: number, nowMs: number, heartbeatIntervalSeconds?: number): HostLiveness {
  return nowMs - lastHeardMs > staleAfterMs(heartbeatIntervalSeconds) ? "stale" : "ok";
}
