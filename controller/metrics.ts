// The controller's Prometheus metrics. Gauges about domain policies and hosts
// are computed at scrape time from the caches, and only by the leader, so
// that two replicas never report the same objects twice.

import client, { Registry } from "prom-client";
import { EVENT_DROP_REASONS } from "./kube/events.ts";

export interface ScrapeSources {
  isLeader(): boolean;
  /** count per (condition type, status) over all DomainCpuidPolicies */
  domainPolicyConditions(): Map<string, number>;
  /** count per reason of the DomainCpuidPolicies failing now (./domain-policy/failing-policies.ts) */
  failingPolicies(): Map<string, number>;
  hostCounts(): { ready: number; stale: number };
  /** seconds since each host's policies were published */
  hostPolicyAges(): Map<string, number>;
  queueDepth(): number;
}

export interface ControllerMetrics {
  register: Registry;
  auditFailures: client.Counter<"reason">;
  setPolicyDuration: client.Histogram<"result">;
  reconcileDuration: client.Histogram<"kind" | "result">;
  statusWrites: client.Counter<"kind">;
  leaderTransitions: client.Counter<"to">;
  eventsDropped: client.Counter<"reason">;
  domainResets: client.Counter<"result">;
  natsConnected: client.Gauge;
  natsReconnects: client.Counter;
}

export const CONDITION_KEY_SEPARATOR = "\u0000";

export const AUDIT_FAILURE_REASONS = ["AuditFailed", "HostPolicyChanged", "InvalidPolicy", "Rejected"] as const;

export function createMetrics(sources: ScrapeSources): ControllerMetrics {
  const register = new Registry();
  const registers = [register];
  client.collectDefaultMetrics({ register, prefix: "cpuid_controller_" });

  new client.Gauge({
    name: "cpuid_controller_leader",
    help: "1 when this replica holds the leader lease",
    registers,
    collect() {
      this.set(sources.isLeader() ? 1 : 0);
    },
  });
  new client.Gauge({
    name: "cpuid_domain_policies",
    help: "DomainCpuidPolicies by condition type and status (leader only)",
    labelNames: ["condition", "status"],
    registers,
    collect() {
      this.reset();
      if (!sources.isLeader()) return;
      for (const [key, count] of sources.domainPolicyConditions()) {
        const [condition, status] = key.split(CONDITION_KEY_SEPARATOR);
        this.set({ condition, status }, count);
      }
    },
  });
  new client.Gauge({
    name: "cpuid_domain_policies_failing",
    help: "DomainCpuidPolicies failing now, by reason: Audited=False (AuditFailed, HostPolicyChanged, InvalidPolicy) or Applied=False (Rejected) (leader only)",
    labelNames: ["reason"],
    registers,
    collect() {
      this.reset();
      if (!sources.isLeader()) return;
      const counts = sources.failingPolicies();
      for (const reason of AUDIT_FAILURE_REASONS) this.set({ reason }, counts.get(reason) ?? 0);
    },
  });
  new client.Gauge({
    name: "cpuid_hosts",
    help: "Hosts in the cpuid-hosts bucket by state: ready (recent heartbeat) or stale (leader only)",
    labelNames: ["state"],
    registers,
    collect() {
      this.reset();
      if (!sources.isLeader()) return;
      const { ready, stale } = sources.hostCounts();
      this.set({ state: "ready" }, ready);
      this.set({ state: "stale" }, stale);
    },
  });
  new client.Gauge({
    name: "cpuid_host_policy_age_seconds",
    help: "Seconds since each host last published its policies (leader only)",
    labelNames: ["host"],
    registers,
    collect() {
      this.reset();
      if (!sources.isLeader()) return;
      for (const [host, age] of sources.hostPolicyAges()) this.set({ host }, age);
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

  const auditFailures = new client.Counter({
    name: "cpuid_audit_failures_total",
    help: "DomainCpuidPolicy audit failures by reason (AuditFailed, HostPolicyChanged, InvalidPolicy, Rejected), counted once per failing policy version and host policy",
    labelNames: ["reason"],
    registers,
  });
  const eventsDropped = new client.Counter({
    name: "cpuid_events_dropped_total",
    help: "Kubernetes events not recorded, by reason: queue-full, or rate-limited (Normal events beyond 10/s, burst 100)",
    labelNames: ["reason"],
    registers,
  });
  // Present from the start at 0, so that increase() sees the very first one.
  for (const reason of AUDIT_FAILURE_REASONS) auditFailures.inc({ reason }, 0);
  for (const reason of EVENT_DROP_REASONS) eventsDropped.inc({ reason }, 0);

  return {
    register,
    auditFailures,
    setPolicyDuration: new client.Histogram({
      name: "cpuid_set_policy_duration_seconds",
      help: "Round trip of set requests to host agents, by result (applied, staged, rejected, error, unavailable)",
      labelNames: ["result"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    reconcileDuration: new client.Histogram({
      name: "cpuid_reconcile_duration_seconds",
      help: "Duration of one reconcile, by kind (domain, host, sweep) and result (ok, retry, error)",
      labelNames: ["kind", "result"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    statusWrites: new client.Counter({
      name: "cpuid_status_writes_total",
      help: "Status subresource patches, by kind (domain, host)",
      labelNames: ["kind"],
      registers,
    }),
    eventsDropped,
    domainResets: new client.Counter({
      name: "cpuid_domain_resets_total",
      help: "Requests resetting a domain no DomainCpuidPolicy governs any more to the host default, by the agent's result (applied, staged, rejected) or error code (stale-request: a policy now governs it); a refused reset is retried at the next sweep",
      labelNames: ["result"],
      registers,
    }),
    natsConnected: new client.Gauge({
      name: "cpuid_controller_nats_connected",
      help: "1 while this replica is connected to NATS (every replica reports it)",
      registers,
    }),
    natsReconnects: new client.Counter({
      name: "cpuid_controller_nats_reconnects_total",
      help: "Times this replica's NATS connection came back after dropping",
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
