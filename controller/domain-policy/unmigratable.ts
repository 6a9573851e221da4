// How many DomainCpuidPolicies cannot move with their effective policy: their
// condition Migratable is False (baseline pool: some member of the pool
// refuses it; otherwise: no host but their own accepts it). Counted at scrape
// time from the informer's cache, like ./failing-policies.ts. Pure.

import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { findCondition } from "../status/conditions.ts";
import { MIGRATABLE } from "./status.ts";

export function countUnmigratable(objects: readonly DomainCpuidPolicyObject[]): number {
  let n = 0;
  for (const obj of objects) if (findCondition(obj.status?.conditions, MIGRATABLE)?.status === "False") n++;
  return n;
}
