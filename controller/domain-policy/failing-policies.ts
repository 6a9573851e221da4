// How many DomainCpuidPolicies fail right now, by reason, read from the
// statuses the reconciler wrote (./status.ts): Audited=False with AuditFailed,
// HostPolicyChanged, InvalidPolicy or MoveUnsafe, or Applied=False with Rejected. Counted
// from the informer's cache at scrape time, so a deleted policy stops counting
// at once and a new leader reports the same numbers as the old one. Pure.

import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { findCondition } from "../status/conditions.ts";
import { APPLIED, AUDITED, Reason } from "./status.ts";

const AUDIT_REASONS: ReadonlySet<string> = new Set([Reason.AuditFailed, Reason.HostPolicyChanged, Reason.InvalidPolicy, Reason.MoveUnsafe]);

export function countFailingPolicies(objects: readonly DomainCpuidPolicyObject[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const obj of objects) {
    const audited = findCondition(obj.status?.conditions, AUDITED);
    const applied = findCondition(obj.status?.conditions, APPLIED);
    const reason =
      audited?.status === "False" && AUDIT_REASONS.has(audited.reason)
        ? audited.reason
        : applied?.status === "False" && applied.reason === Reason.Rejected
          ? Reason.Rejected
          : undefined;
    if (reason) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return counts;
}
