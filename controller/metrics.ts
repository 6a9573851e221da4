// The controller's Prometheus metrics. Gauges about domain policies and hosts
// are computed at scrape time from the caches, and only by the leader, so
// that two replicas never report the same objects twice. Leadership, work
// queue and reconcile metrics: ./manager/metrics.ts.

import client, { Registry } from "prom-client";
import type { HostIndex } from "./hosts/host-index.ts";
import { countFailingPolicies } from "./domain-policy/failing-policies.ts";
import { countUnmigratable } from "./domain-policy/unmigratable.ts";
import { EVENT_DROP_REASONS } from "./kube/events.ts";
import type { DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";

export interface ScrapeSources {
  isLeader(): boolean;
  domainPolicies(): readonly DomainCpuidPolicyObject[];
  hosts: Pick<HostIndex, "counts" | "hostIds" | "get">;
}

export interface ControllerMetrics {
  register: Registry;
  auditFailures: client.Counter<"reason">;
  setPolicyDuration: client.Histogram<"result">;
  statusWrites: client.Counter<"kind">;
  eventsDropped: client.Counter<"reason">;
  domainResets: client.Counter<"result">;
  resetsUndecided: client.Counter<"reason">;
  natsConnected: client.Gauge;
  natsReconnects: client.Counter;
  apiserverThrottled: client.Counter;
  apiserverWritesHeld: client.Gauge;
}

const CONDITION_KEY_SEPARATOR = "\u0000";

export const AUDIT_FAILURE_REASONS = ["AuditFailed", "HostPolicyChanged", "InvalidPolicy", "MoveUnsafe", "Rejected"] as const;

export function createMetrics(sources: ScrapeSources): ControllerMetrics {
  const register = new Registry();
  const registers = [register];
  client.collectDefaultMetrics({ register, prefix: "cpuid_controller_" });

  new client.Gauge({
    name: "cpuid_domain_policies",
    help: "DomainCpuidPolicies by condition type and status (leader only)",
    labelNames: ["condition", "status"],
    registers,
    collect() {
      this.reset();
      if (!sources.isLeader()) return;
      for (const [key, count] of countConditions(sources.domainPolicies())) {
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
      const counts = countFailingPolicies(sources.domainPolicies());
      for (const reason of AUDIT_FAILURE_REASONS) this.set({ reason }, counts.get(reason) ?? 0);
    },
  });
  new client.Gauge({
    name: "cpuid_domain_policies_unmigratable",
    help: "DomainCpuidPolicies whose condition Migratable is False: baseline pool, some pool member refuses the effective policy; otherwise, no fresh host but their own accepts it (leader only)",
    registers,
    collect() {
      this.reset();
      if (!sources.isLeader()) return;
      this.set(countUnmigratable(sources.domainPolicies()));
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
      const { ready, stale } = sources.hosts.counts();
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
      for (const [host, age] of policyAges(sources.hosts)) this.set({ host }, age);
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
    statusWrites: new client.Counter({
      name: "cpuid_status_writes_total",
      help: "Status subresource patches, by kind (domain, host, pool, rollout)",
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
    resetsUndecided: new client.Counter({
      name: "cpuid_domain_resets_undecided_total",
      help: "Domains no DomainCpuidPolicy governs that the reset sweep could not decide about (no-provenance: set by a controller request but its record lost the resource uid; no-guest-type; no-host-default), counted once per domain and reason until it is decided",
      labelNames: ["reason"],
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
    apiserverThrottled: new client.Counter({
      name: "cpuid_apiserver_throttled_total",
      help: "Writes the apiserver answered with 429 Too Many Requests (max-requests-inflight, API Priority and Fairness); each holds every write back for Retry-After or a growing backoff",
      registers,
    }),
    apiserverWritesHeld: new client.Gauge({
      name: "cpuid_apiserver_writes_held",
      help: "1 while the apiserver throttles this controller and its writes wait (one probe at a time), 0 once a write succeeds again",
      registers,
    }),
  };
}

function countConditions(objects: readonly DomainCpuidPolicyObject[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const obj of objects) {
    for (const c of obj.status?.conditions ?? []) {
      const key = `${c.type}${CONDITION_KEY_SEPARATOR}${c.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

function policyAges(hosts: Pick<HostIndex, "hostIds" | "get">): Map<string, number> {
  const now = Date.now();
  const ages = new Map<string, number>();
  for (const hostId of hosts.hostIds()) {
    const published = Date.parse(hosts.get(hostId)!.record.published.publishedAt);
    ages.set(hostId, Math.max(0, (now - published) / 1000));
  }
  return ages;
}
