// The DomainCpuidPolicies already in the cluster, for `cpuidctl audit`: a new
// policy naming a host and domain that another one governs is put in
// Conflict by the controller (the older one wins) and never sent.

import { CustomObjectsApi } from "@kubernetes/client-node";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL } from "../shared/api/v1alpha1/names.ts";
import { UsageError } from "./command.ts";
import type { LoadedKube } from "./kube-load.ts";

export interface ClusterPolicy {
  namespace: string;
  name: string;
  host: string;
  domain: string;
}

interface ListedPolicy {
  metadata?: { name?: string; namespace?: string };
  spec?: { host?: unknown; domain?: unknown };
}

export async function listClusterPolicies({ kubeConfig }: LoadedKube): Promise<ClusterPolicy[]> {
  let list: { items?: ListedPolicy[] };
  try {
    list = (await kubeConfig.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL })) as typeof list;
  } catch (e) {
    const where = `context "${kubeConfig.getCurrentContext()}" (${kubeConfig.getCurrentCluster()?.server ?? "no server"})`;
    throw new UsageError(`cannot list DomainCpuidPolicies in ${where}: ${(e as Error).message.split("\n")[0]}`);
  }
  return (list.items ?? []).flatMap((p) =>
    typeof p.spec?.host === "string" && typeof p.spec.domain === "string"
      ? [{ namespace: p.metadata?.namespace ?? "", name: p.metadata?.name ?? "", host: p.spec.host, domain: p.spec.domain }]
      : [],
  );
}

/** Another policy in the cluster governing the same host and domain, if any. */
export function conflictingPolicy(
  policy: { namespace?: string; name: string; host: string; domain: string },
  existing: readonly ClusterPolicy[],
): ClusterPolicy | undefined {
  return existing.find(
    (p) => p.host === policy.host && p.domain === policy.domain && !(p.namespace === policy.namespace && p.name === policy.name),
  );
}
