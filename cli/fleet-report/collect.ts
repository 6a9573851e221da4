// The fleet report's live inputs: every valid entry of the cpuid-hosts
// bucket, and every DomainCpuidPolicy, CpuidPool and CpuidRollout of the cluster
// (kubeconfig from --kubeconfig, else $KUBECONFIG or the default locations).

import type { KubeConfig } from "@kubernetes/client-node";
import { CustomObjectsApi } from "@kubernetes/client-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL, POOL_PLURAL, ROLLOUT_PLURAL } from "../../shared/api/v1alpha1/names.ts";
import type { CpuidRolloutObject } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import { CpuidPoolSpec, type CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostPolicies } from "../../shared/schemas/host-policies.ts";
import { UsageError } from "../command.ts";
import { readHostEntry } from "../hosts-bucket.ts";
import type { ReportPolicyInput, ReportPool, ReportRollout } from "./model.ts";

export interface InvalidHostEntry {
  key: string;
  error: string;
}

export async function readHosts(nc: NatsConnection): Promise<{ hosts: HostPolicies[]; invalid: InvalidHostEntry[] }> {
  const kv = await openHostsBucket(nc);
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  const hosts: HostPolicies[] = [];
  const invalid: InvalidHostEntry[] = [];
  for (const key of keys) {
    const entry = await readHostEntry(kv, key);
    if (entry?.ok) hosts.push(entry.policies);
    else if (entry) invalid.push({ key, error: entry.error });
  }
  return { hosts, invalid };
}

async function listAll<T>(kc: KubeConfig, plural: string, what: string): Promise<T[]> {
  try {
    const list = (await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural })) as { items: T[] };
    return list.items;
  } catch (e) {
    throw new UsageError(`cannot list ${what} on ${kc.getCurrentCluster()?.server ?? "the cluster"}: ${(e as Error).message.split("\n")[0]}`);
  }
}

export async function readDomainPolicies(kc: KubeConfig): Promise<ReportPolicyInput[]> {
  const items = await listAll<DomainCpuidPolicyObject>(kc, DOMAIN_PLURAL, "DomainCpuidPolicies");
  return items.map((o) => {
    const spec = DomainCpuidPolicySpec.safeParse(o.spec);
    return {
      namespace: o.metadata.namespace ?? "",
      name: o.metadata.name ?? "",
      host: spec.success ? spec.data.host : "",
      domain: spec.success ? spec.data.domain : "",
      findings: (o.status?.findings ?? []).map((f) => f.message),
      readyReason: o.status?.conditions?.find((c) => c.type === "Ready")?.reason,
    };
  });
}

export async function readPools(kc: KubeConfig): Promise<ReportPool[]> {
  const items = await listAll<CpuidPoolObject>(kc, POOL_PLURAL, "CpuidPools");
  return items.map((o) => {
    const spec = CpuidPoolSpec.safeParse(o.spec);
    const s = o.status ?? {};
    const ready = s.conditions?.find((c) => c.type === "Ready");
    return {
      name: o.metadata.name ?? "",
      guestType: spec.success ? spec.data.guestType : "",
      levelPolicy: spec.success ? spec.data.levelPolicy : "",
      ready: ready?.status ?? "Unknown",
      readyMessage: ready?.message ?? "",
      members: s.members ?? [],
      level: s.level ? { featureCount: s.level.features.length, hash: s.level.hash } : undefined,
      limitingHosts: s.limitingHosts ?? [],
      incompatibleHosts: s.incompatibleHosts ?? [],
    };
  });
}

export async function readRollouts(kc: KubeConfig): Promise<ReportRollout[]> {
  const items = await listAll<CpuidRolloutObject>(kc, ROLLOUT_PLURAL, "CpuidRollouts");
  return items.map((o) => {
    const s = o.status ?? {};
    const condition = (type: string) => s.conditions?.find((c) => c.type === type);
    return {
      name: o.metadata.name ?? "",
      change: s.change ?? { enable: [], disable: [] },
      state: s.waves ? (condition("Progressing")?.reason ?? "Unknown") : "Unplanned",
      halted: condition("Halted")?.status === "True",
      wave: (s.currentWave ?? -1) + 1,
      waveCount: s.waveCount ?? 0,
      counts: s.counts ?? { applied: 0, staged: 0, failed: 0, progressing: 0, pending: 0, deleted: 0 },
    };
  });
}
