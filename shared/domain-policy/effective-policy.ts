// A DomainCpuidPolicy's effective policy, as its status records it: the one
// the domain has (or is given) on status.host. Moves follow Xen: the policy
// travels with the domain, so after a spec.host change that asks for nothing
// else it is the policy from before the move, never the spec rebuilt on the
// destination. Shared by the controller and `cpuidctl migrate check`. Pure.

import { hash as cryptoHash } from "node:crypto";
import type { DomainCpuidPolicySpec, DomainCpuidPolicyStatus } from "../api/v1alpha1/domain-cpuid-policy.ts";
import type { HostRecord } from "../hosts/host-record.ts";
import { policyHash } from "../policy/canonical.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { deserialisePolicy, PolicyFormatError } from "../policy/serialise.ts";
import { policyFromJson } from "../policy/policy-json.ts";
import { evaluateDomainPolicy, type Evaluation } from "./evaluate.ts";

/** Everything the spec asks for but the host: equal digests with different hosts make a move. */
export function requestDigest(spec: DomainCpuidPolicySpec): string {
  const { host: _host, ...request } = spec;
  return `sha256:${cryptoHash("sha256", JSON.stringify(request), "hex")}`;
}

export type EffectivePolicy =
  | { kind: "known"; policy: CpuPolicy; hash: string; carried: boolean }
  /** the status names a policy that cannot be rebuilt from what is published now */
  | { kind: "unknown"; message: string };

type HostLookup = (hostId: string) => HostRecord | undefined;

/** Builds and audits the spec on a host (for baseline pool, with the pool's level already resolved). */
export type BuildOnHost = (spec: DomainCpuidPolicySpec, host: HostRecord) => Evaluation;

/**
 * The policy the status says the domain has, rebuilt and checked against the
 * recorded hash: the carried policy when there is one, else the spec built on
 * status.host. `build` defaults to a fresh evaluation without a pool (the
 * controller passes its cache; anyone with baseline pool specs, the pool).
 */
export function effectivePolicy(
  spec: DomainCpuidPolicySpec,
  status: DomainCpuidPolicyStatus,
  hosts: HostLookup,
  build: BuildOnHost = (s, h) => evaluateDomainPolicy(s, h),
): EffectivePolicy {
  if (!status.policyHash) return { kind: "unknown", message: "the status records no effective policy yet (not audited)" };
  if (status.carriedPolicy) {
    let policy: CpuPolicy;
    try {
      policy = deserialisePolicy(policyFromJson(status.carriedPolicy));
    } catch (e) {
      if (e instanceof PolicyFormatError) return { kind: "unknown", message: `status.carriedPolicy: ${e.message}` };
      throw e;
    }
    const hash = policyHash(policy);
    if (hash !== status.policyHash) return { kind: "unknown", message: `status.carriedPolicy hashes to ${hash}, not status.policyHash ${status.policyHash}` };
    return { kind: "known", policy, hash, carried: true };
  }
  const builtOn = status.host ?? spec.host;
  const host = hosts(builtOn);
  if (!host) return { kind: "unknown", message: `host ${builtOn}, whose policies the effective policy was built from, has not published them` };
  const evaluation = build(spec, host);
  if (evaluation.kind !== "audited") return { kind: "unknown", message: evaluation.message };
  if (evaluation.policyHash !== status.policyHash) {
    return {
      kind: "unknown",
      message: `the spec built on host ${builtOn} now gives ${evaluation.policyHash}, not the recorded ${status.policyHash}: the host's policies or the spec changed since the last audit`,
    };
  }
  return { kind: "known", policy: evaluation.requested, hash: evaluation.policyHash, carried: false };
}
