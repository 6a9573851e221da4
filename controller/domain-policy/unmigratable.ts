// How many DomainCpuidPolicies no host but their own would accept, read from
// the statuses the reconciler wrote (status.acceptingHosts): the domains that
// cannot move anywhere with their policy. Counted at scrape time from the
// informer's cache, like ./failing-policies.ts. Pure.

import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";

export function countUnmigratable(objects: readonly DomainCpuidPolicyObject[]): number {
  let n = 0;
  for (const obj of objects) {
    const accepting = obj.status?.acceptingHosts;
    if (!accepting) continue;
    const others = accepting.count - (obj.status?.host !== undefined && accepting.hosts.includes(obj.status.host) ? 1 : 0);
    if (others === 0) n++;
  }
  return n;
}
