// Waits until the controller has settled every example policy (audit failed,
// or audit passed and applied or staged on its host) and mirrored every demo
// host into a HostCpuidPolicy with its CPU labels, then returns what the API
// holds.

import { setTimeout as sleep } from "node:timers/promises";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { VENDOR_LABEL } from "../../shared/labels/host-labels.ts";
import type { ExamplePolicy } from "./examples.ts";
import type { DemoKube } from "./kube.ts";

export interface FleetSnapshot {
  policies: DomainCpuidPolicyObject[];
  hosts: HostCpuidPolicyObject[];
  /** false when the time ran out first */
  settled: boolean;
}

const POLL_MS = 200;

export function conditionStatus(obj: DomainCpuidPolicyObject, type: string): string | undefined {
  return obj.status?.conditions?.find((c) => c.type === type)?.status;
}

export function isSettled(obj: DomainCpuidPolicyObject): boolean {
  if (obj.status?.observedGeneration !== obj.metadata.generation) return false;
  const audited = conditionStatus(obj, "Audited");
  return audited === "False" || (audited === "True" && conditionStatus(obj, "Applied") === "True");
}

export async function waitUntilSettled(kube: DemoKube, expected: readonly ExamplePolicy[], hostIds: readonly string[], timeoutMs: number): Promise<FleetSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [allPolicies, allHosts] = await Promise.all([kube.domainPolicies(), kube.hostPolicies()]);
    const policies = sortByHost(
      expected.flatMap((e) => allPolicies.filter((p) => p.metadata.name === e.name && p.metadata.namespace === e.namespace)),
      hostIds,
    );
    const hosts = hostIds.flatMap((id) => allHosts.filter((h) => h.status?.hostId === id));
    const settled = policies.length === expected.length && policies.every(isSettled) && hosts.length === hostIds.length && hosts.every((h) => h.status?.policies && h.metadata.labels?.[VENDOR_LABEL]);
    if (settled || Date.now() > deadline) return { policies, hosts, settled };
    await sleep(POLL_MS);
  }
}

function sortByHost(policies: DomainCpuidPolicyObject[], hostIds: readonly string[]): DomainCpuidPolicyObject[] {
  const rank = (p: DomainCpuidPolicyObject) => hostIds.indexOf((p.spec as { host?: string }).host ?? "");
  return policies.sort((a, b) => rank(a) - rank(b) || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
}
