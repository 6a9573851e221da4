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
import { buildRequestedPolicy, guestDefault, guestMax } from "../request/build-request.ts";
import type { PolicyRequest } from "../request/parse-request.ts";
import type { DomainCpuidPolicySpec } from "../api/v1alpha1/domain-cpuid-policy.ts";
import type { FindingJson } from "../schemas/finding.ts";
import type { GuestType } from "../schemas/guest.ts";
import { policyFromJson } from "../schemas/policy.ts";
import { guestMaxHash, type HostRecord } from "../hosts/host-record.ts";

export type Evaluation =
  /** baseline `pool` needs a levelling source (CpuidPool), which this release does not have */
  | { kind: "pool-unsupported"; message: string }
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
  findings: FindingJson[];
  /** hash of the guest max the audit ran against */
  maxHash: string;
  /** spec.policy records that a later one of the same leaf overrides */
  warnings: string[];
}

export function policyRequestOf(spec: DomainCpuidPolicySpec): PolicyRequest | undefined {
  if (spec.policy) return { kind: "policy", policy: policyFromJson(spec.policy) };
  if (spec.baseline === "pool") return undefined;
  return { kind: "features", baseline: spec.baseline, enable: spec.enable, disable: spec.disable };
}

export function evaluateDomainPolicy(spec: DomainCpuidPolicySpec, host: HostRecord): Evaluation {
  const request = policyRequestOf(spec);
  if (!request) {
    return {
      kind: "pool-unsupported",
      message: `baseline "pool" (pool ${spec.pool}) is not supported yet: there is no levelling source for pools; use baseline default or max`,
    };
  }
  let requested: CpuPolicy;
  try {
    requested = buildRequestedPolicy(host.guest, spec.guestType, request);
  } catch (e) {
    if (e instanceof PolicyFormatError) return { kind: "invalid-policy", message: `spec.policy: ${e.message}` };
    throw e;
  }
  return auditOnHost(requested, spec.guestType, host, request.kind === "policy" ? duplicateLeafWarnings(request.policy) : []);
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
