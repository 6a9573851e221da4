// What a DomainCpuidPolicy asks for on its host, and whether it passes the
// strict audit against that host's guest max. Pure; shared by the controller
// and `cpuidctl audit` so that both report the same findings.

import { auditPolicy } from "../audit/audit.ts";
import { findingToJson } from "../audit/finding.ts";
import { andNotFeatureset, featureNames, formatFeatureset } from "../featureset/featureset.ts";
import { policyHash } from "../policy/canonical.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { policyFeatureset } from "../policy/featureset-io.ts";
import { duplicateLeafWarnings, PolicyFormatError } from "../policy/serialise.ts";
import { buildRequestedPolicy, guestDefault, guestMax, withFeatureChanges } from "../request/build-request.ts";
import type { PolicyRequest } from "../request/parse-request.ts";
import type { DomainCpuidPolicySpec } from "../api/v1alpha1/domain-cpuid-policy.ts";
import type { FindingJson } from "../schemas/finding.ts";
import type { GuestType } from "../schemas/guest.ts";
import { policyFromJson } from "../policy/policy-json.ts";
import { guestMaxHash, type HostRecord } from "../hosts/host-record.ts";
import type { PoolBaseline, PoolUnavailableReason } from "./pool-baseline.ts";

export type Evaluation =
  /** baseline `pool` whose pool has no usable level (missing, not levelled yet, other guest type) */
  | { kind: "pool-unavailable"; reason: PoolUnavailableReason; message: string }
  /** spec.policy does not deserialise under Xen's rules */
  | { kind: "invalid-policy"; message: string }
  | AuditedEvaluation;

export interface AuditedEvaluation {
  kind: "audited";
  /** the effective policy: the spec built on the host, or a policy carried there by a move (./move.ts) */
  requested: CpuPolicy;
  policyHash: string;
  featureset: string;
  /** versus the host's default for this guest type */
  added: string[];
  removed: string[];
  /** against the host's guest max and, for baseline pool, the pool's level */
  findings: FindingJson[];
  /** hash of the guest max the audit ran against */
  maxHash: string;
  /** spec.policy records that a later one of the same leaf overrides */
  warnings: string[];
  /** baseline pool: the pool and level hash the policy was built from */
  pool?: { name: string; levelHash: string };
}

export function policyRequestOf(spec: DomainCpuidPolicySpec): PolicyRequest | undefined {
  if (spec.policy) return { kind: "policy", policy: policyFromJson(spec.policy) };
  if (spec.baseline === "pool") return undefined;
  return { kind: "features", baseline: spec.baseline, enable: spec.enable, disable: spec.disable };
}

/** `pool` is the resolved spec.pool (./pool-baseline.ts); only baseline pool uses it. */
export function evaluateDomainPolicy(spec: DomainCpuidPolicySpec, host: HostRecord, pool?: PoolBaseline): Evaluation {
  const request = policyRequestOf(spec);
  if (!request) return evaluateOnPool(spec, host, pool);
  let requested: CpuPolicy;
  try {
    requested = buildRequestedPolicy(host.guest, spec.guestType, request);
  } catch (e) {
    if (e instanceof PolicyFormatError) return { kind: "invalid-policy", message: `spec.policy: ${e.message}` };
    throw e;
  }
  return auditOnHost(requested, spec.guestType, host, request.kind === "policy" ? duplicateLeafWarnings(request.policy) : []);
}

/**
 * baseline pool: the pool's level with enable/disable, independent of the
 * host (so it is the same policy on every member), audited against the level
 * (an enable beyond it would no longer run everywhere in the pool) and the
 * host's guest max.
 */
function evaluateOnPool(spec: DomainCpuidPolicySpec, host: HostRecord, pool: PoolBaseline | undefined): Evaluation {
  if (!pool) return { kind: "pool-unavailable", reason: "PoolNotReady", message: `CpuidPool ${spec.pool} has not been read yet` };
  if (pool.kind === "unavailable") return { kind: "pool-unavailable", reason: pool.reason, message: pool.message };
  if (pool.guestType !== spec.guestType) {
    return {
      kind: "pool-unavailable",
      reason: "PoolGuestTypeMismatch",
      message: `CpuidPool ${pool.pool} is levelled for ${pool.guestType} guests and this policy is for ${spec.guestType} guests`,
    };
  }
  const requested = withFeatureChanges(pool.level, pool.level, spec.enable, spec.disable);
  const evaluation = auditOnHost(requested, spec.guestType, host);
  const beyondLevel = auditPolicy(requested, pool.level, { guest: spec.guestType }).map((f) =>
    findingToJson({ ...f, message: `beyond the level of CpuidPool ${pool.pool} (${pool.hash}): ${f.message}` }),
  );
  return { ...evaluation, findings: [...beyondLevel, ...evaluation.findings], pool: { name: pool.pool, levelHash: pool.hash } };
}

/** Audits a built (or carried) policy against the host's guest max and compares it with the host's default. */
export function auditOnHost(requested: CpuPolicy, guestType: GuestType, host: HostRecord, warnings: string[] = []): AuditedEvaluation {
  const findings = auditPolicy(requested, guestMax(host.guest, guestType), { guest: guestType }).map(findingToJson);
  const features = policyFeatureset(requested);
  const defaults = policyFeatureset(guestDefault(host.guest, guestType));
  return {
    kind: "audited",
    requested,
    policyHash: policyHash(requested),
    featureset: formatFeatureset(features),
    added: featureNames(andNotFeatureset(features, defaults)),
    removed: featureNames(andNotFeatureset(defaults, features)),
    findings,
    maxHash: guestMaxHash(host, guestType),
    warnings,
  };
}
