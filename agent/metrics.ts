// The agent's Prometheus metrics (prefix cpuid_agent_), in their own registry.

import client from "prom-client";

export function createAgentMetrics(hostId: string) {
  const register = new client.Registry();
  register.setDefaultLabels({ host: hostId });
  client.collectDefaultMetrics({ register, prefix: "cpuid_agent_" });
  const registers = [register];
  const xenVerifications = new client.Counter({
    name: "cpuid_agent_xen_verifications_total",
    help: "xen backend: checks of a started domain's policy against the staged one, by result",
    labelNames: ["result"],
    registers,
  });
  // present from the start at 0, so that increase() sees the very first mismatch
  for (const result of ["match", "mismatch"]) xenVerifications.inc({ result }, 0);
  return {
    register,
    publishes: new client.Counter({
      name: "cpuid_agent_publishes_total",
      help: "HostPolicies publications to the cpuid-hosts bucket, by result",
      labelNames: ["result"],
      registers,
    }),
    heartbeats: new client.Counter({ name: "cpuid_agent_heartbeats_total", help: "Heartbeats sent", registers }),
    domainEvents: new client.Counter({
      name: "cpuid_agent_domain_events_total",
      help: "Domain lifecycle events published (a domain created, started, stopped or destroyed), by the domain's new state",
      labelNames: ["state"],
      registers,
    }),
    requests: new client.Counter({
      name: "cpuid_agent_requests_total",
      help: "Requests handled, by operation and result (applied, staged, rejected, duplicate, ok or an error code)",
      labelNames: ["op", "result"],
      registers,
    }),
    requestErrors: new client.Counter({
      name: "cpuid_agent_request_errors_total",
      help: "Requests answered with an error reply, by error code",
      labelNames: ["code"],
      registers,
    }),
    requestSeconds: new client.Histogram({
      name: "cpuid_agent_request_duration_seconds",
      help: "Time to handle a request, from receipt to reply",
      labelNames: ["op"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    }),
    domains: new client.Gauge({ name: "cpuid_agent_domains", help: "Domains known to the backend, by state", labelNames: ["state"], registers }),
    probes: new client.Counter({ name: "cpuid_agent_probes_total", help: "Probe runs, by result", labelNames: ["result"], registers }),
    lastProbe: new client.Gauge({ name: "cpuid_agent_last_probe_timestamp_seconds", help: "Time of the last successful probe", registers }),
    lastPublish: new client.Gauge({ name: "cpuid_agent_last_publish_timestamp_seconds", help: "Time of the last successful publication", registers }),
    lastHeartbeat: new client.Gauge({ name: "cpuid_agent_last_heartbeat_timestamp_seconds", help: "Time of the last heartbeat sent", registers }),
    natsConnected: new client.Gauge({ name: "cpuid_agent_nats_connected", help: "1 while connected to NATS", registers }),
    reconnects: new client.Counter({ name: "cpuid_agent_nats_reconnects_total", help: "Reconnections to NATS", registers }),
    xenVerifications,
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
