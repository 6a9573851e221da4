// Reading and nudging CpuidRollouts for `cpuidctl rollout …`: the rollout
// itself, the other rollouts, the DomainCpuidPolicies and namespaces a plan
// selects from, and the two writes an operator makes (resume, undo). Every
// API failure is a UsageError naming what could not be read.

import { ApiException, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import type { CpuidRolloutObject } from "../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL, ROLLOUT_PLURAL } from "../shared/api/v1alpha1/names.ts";
import { UsageError } from "./command.ts";

const group = { group: API_GROUP, version: API_VERSION };

function where(kubeConfig: KubeConfig): string {
  return `context "${kubeConfig.getCurrentContext()}" (${kubeConfig.getCurrentCluster()?.server ?? "no server"})`;
}

async function reading<T>(kubeConfig: KubeConfig, what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw new UsageError(`cannot read ${what} in ${where(kubeConfig)}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** The rollout; a missing one is a UsageError. */
export async function getRollout(kubeConfig: KubeConfig, name: string): Promise<CpuidRolloutObject> {
  try {
    return (await kubeConfig.makeApiClient(CustomObjectsApi).getClusterCustomObject({ ...group, plural: ROLLOUT_PLURAL, name })) as CpuidRolloutObject;
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) throw new UsageError(`CpuidRollout ${name} not found in ${where(kubeConfig)}`);
    throw new UsageError(`cannot read CpuidRollout ${name} in ${where(kubeConfig)}: ${(e as Error).message.split("\n")[0]}`);
  }
}

export async function listRollouts(kubeConfig: KubeConfig): Promise<CpuidRolloutObject[]> {
  const list = (await reading(kubeConfig, "CpuidRollouts", () => kubeConfig.makeApiClient(CustomObjectsApi).listClusterCustomObject({ ...group, plural: ROLLOUT_PLURAL }))) as { items: CpuidRolloutObject[] };
  return list.items;
}

export async function listDomainPolicies(kubeConfig: KubeConfig): Promise<DomainCpuidPolicyObject[]> {
  const list = (await reading(kubeConfig, "DomainCpuidPolicies", () => kubeConfig.makeApiClient(CustomObjectsApi).listClusterCustomObject({ ...group, plural: DOMAIN_PLURAL }))) as { items: DomainCpuidPolicyObject[] };
  return list.items;
}

/** Every namespace's labels. */
export async function namespaceLabels(kubeConfig: KubeConfig): Promise<Map<string, Record<string, string>>> {
  const list = await reading(kubeConfig, "namespaces", () => kubeConfig.makeApiClient(CoreV1Api).listNamespace());
  return new Map(list.items.map((ns) => [ns.metadata?.name ?? "", ns.metadata?.labels ?? {}]));
}

/** A JSON merge patch of the rollout (its annotations or spec). */
export async function patchRollout(kubeConfig: KubeConfig, name: string, body: object): Promise<CpuidRolloutObject> {
  try {
    return (await kubeConfig
      .makeApiClient(CustomObjectsApi)
      .patchClusterCustomObject({ ...group, plural: ROLLOUT_PLURAL, name, body }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch))) as CpuidRolloutObject;
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) throw new UsageError(`CpuidRollout ${name} not found in ${where(kubeConfig)}`);
    throw new UsageError(`cannot update CpuidRollout ${name} in ${where(kubeConfig)}: ${(e as Error).message.split("\n")[0]}`);
  }
}
