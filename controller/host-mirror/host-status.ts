// The HostCpuidPolicy mirror of one host: digests and counts of what its
// agent published, when it was last heard from, and Ready/Stale conditions.
// Pure. lastSeen is written coarsely so heartbeats do not become writes.

import { hash } from "node:crypto";
import type { HostCpuidPolicyStatus } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import type { IndexedHost } from "../hosts/host-index.ts";
import { setCondition } from "../status/conditions.ts";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The object name for a host: the host id when it is a valid name, else a stable digest of it. */
export function hostObjectName(hostId: string): string {
  if (hostId.length <= 253 && DNS_SUBDOMAIN.test(hostId)) return hostId;
  return `host-${hash("sha256", hostId, "hex").slice(0, 20)}`;
}

export function hostStatus(host: IndexedHost, previous: HostCpuidPolicyStatus | undefined, now: Date, lastSeenResolutionMs: number): HostCpuidPolicyStatus {
  const { published } = host.record;
  const policies = published.summaries;

  const seen = new Date(host.lastSeen);
  const previousSeen = previous?.lastSeen ? new Date(previous.lastSeen).getTime() : 0;
  const lastSeen =
    previous?.lastSeen && Math.abs(seen.getTime() - previousSeen) < lastSeenResolutionMs ? previous.lastSeen : seconds(seen);

  let conditions = previous?.conditions ?? [];
  const age = Math.round((now.getTime() - host.lastSeen) / 1000);
  conditions = setCondition(
    conditions,
    host.stale
      ? { type: "Ready", status: "False", reason: "Stale", message: `no heartbeat or publication for ${age} s` }
      : { type: "Ready", status: "True", reason: "Published", message: `policies published at ${published.publishedAt}` },
    0,
    now,
  );
  conditions = setCondition(
    conditions,
    host.stale
      ? { type: "Stale", status: "True", reason: "NoHeartbeat", message: `last heard from at ${seconds(seen)}` }
      : { type: "Stale", status: "False", reason: "Heartbeating", message: "the agent reports regularly" },
    0,
    now,
  );

  const { cpu, fingerprint } = published;
  return {
    hostId: published.hostId,
    vendor: cpu.vendor,
    family: cpu.family,
    model: cpu.model,
    stepping: cpu.stepping,
    brand: cpu.brand,
    fingerprint: fingerprint.digest,
    ...(fingerprint.xenVersion ? { xenVersion: fingerprint.xenVersion } : {}),
    policies,
    publishedAt: published.publishedAt,
    lastSeen,
    conditions,
  };
}

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
