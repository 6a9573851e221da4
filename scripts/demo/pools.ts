// Waits until the controller has levelled every example pool over the hosts
// its selector picks: Ready, and each such host a member or refused. Then
// returns the pools and the domain policies as the API holds them (the
// policies' status.acceptingHosts says where each domain could move).

import { setTimeout as sleep } from "node:timers/promises";
import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import { CpuidPoolSpec } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { selectorMatches } from "../../shared/labels/label-selector.ts";
import type { DemoKube } from "./kube.ts";

export interface PoolSnapshot {
  pools: CpuidPoolObject[];
  policies: DomainCpuidPolicyObject[];
  /** false when the time ran out first */
  settled: boolean;
}

const POLL_MS = 200;

/** Ready, on its current spec, with every host the selector picks either a member or refused. */
export function isLevelled(pool: CpuidPoolObject, hosts: readonly HostCpuidPolicyObject[]): boolean {
  const s = pool.status;
  if (s?.observedGeneration !== pool.metadata.generation) return false;
  if (s?.conditions?.find((c) => c.type === "Ready")?.status !== "True") return false;
  const spec = CpuidPoolSpec.safeParse(pool.spec);
  if (!spec.success) return false;
  const selected = hosts.filter((h) => selectorMatches(spec.data.hostSelector, h.metadata.labels)).length;
  return (s.members?.length ?? 0) + (s.incompatibleHosts?.length ?? 0) === selected;
}

export async function waitForPools(
  kube: DemoKube,
  names: readonly string[],
  hosts: readonly HostCpuidPolicyObject[],
  policies: readonly DomainCpuidPolicyObject[],
  timeoutMs: number,
): Promise<PoolSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await kube.pools();
    const pools = names.flatMap((n) => all.filter((p) => p.metadata.name === n));
    const settled = pools.length === names.length && pools.every((p) => isLevelled(p, hosts));
    if (settled || Date.now() > deadline) {
      // read again: a policy's acceptingHosts is from its last reconcile, which may be newer than the snapshot
      const fresh = await kube.domainPolicies();
      const current = policies.map((p) => fresh.find((f) => f.metadata.uid === p.metadata.uid) ?? p);
      return { pools, policies: current, settled };
    }
    await sleep(POLL_MS);
  }
}
