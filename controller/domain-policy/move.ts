// Whether a reconcile is about a move. A spec.host change that asks for
// nothing else (same requestDigest) moves the domain with its policy, as `xl
// migrate` does: the effective policy the domain held on the old host is kept
// and audited against the new host's guest max. A change of anything else in
// the same update is a new request, built on the new host as usual. Once
// moved, the policy keeps travelling (status.carriedPolicy) until the spec
// asks for something new. Pure.

import type { DomainCpuidPolicySpec, DomainCpuidPolicyStatus } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { effectivePolicy, requestDigest, type BuildOnHost } from "../../shared/domain-policy/effective-policy.ts";
import type { HostRecord } from "../../shared/hosts/host-record.ts";
import type { CpuPolicy } from "../../shared/policy/cpu-policy.ts";
import { findCondition } from "../status/conditions.ts";
import { APPLIED } from "./status.ts";

export type PolicySource =
  /** a new request (or no move): the spec built on spec.host */
  | { kind: "build" }
  /** the policy travels with the domain from `from` */
  | { kind: "carry"; policy: CpuPolicy; hash: string; from: string }
  /** a move whose policy cannot be rebuilt (the source host's policies are gone or changed) */
  | { kind: "unknown"; message: string };

export function policySource(
  spec: DomainCpuidPolicySpec,
  previous: DomainCpuidPolicyStatus | undefined,
  hosts: (hostId: string) => HostRecord | undefined,
  build: BuildOnHost,
): PolicySource {
  if (!previous?.requestDigest || previous.requestDigest !== requestDigest(spec)) return { kind: "build" };
  if (previous.carriedPolicy) {
    const movedNow = previous.host !== undefined && previous.host !== spec.host;
    return carry(spec, previous, hosts, build, movedNow ? previous.host! : (previous.movedFrom ?? spec.host));
  }
  if (!previous.host || previous.host === spec.host) return { kind: "build" };
  // only a policy the domain held travels with it; one never applied leaves nothing to carry
  const held = findCondition(previous.conditions, APPLIED)?.status === "True" && previous.appliedHash === previous.policyHash;
  return held ? carry(spec, previous, hosts, build, previous.host) : { kind: "build" };
}

function carry(
  spec: DomainCpuidPolicySpec,
  previous: DomainCpuidPolicyStatus,
  hosts: (hostId: string) => HostRecord | undefined,
  build: BuildOnHost,
  from: string,
): PolicySource {
  const effective = effectivePolicy(spec, previous, hosts, build);
  if (effective.kind === "unknown") return { kind: "unknown", message: `the domain moved from ${from} to ${spec.host}, but its policy cannot be carried: ${effective.message}` };
  return { kind: "carry", policy: effective.policy, hash: effective.hash, from };
}
