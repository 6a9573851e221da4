// The benchmark's DomainCpuidPolicies: created straight through the API
// (client-node) with bounded concurrency, changed and deleted the same way,
// and patched to measure the apiserver's status-patch ceiling; listed to
// check the outcome.

import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL } from "../../shared/api/v1alpha1/names.ts";

export interface BenchPolicy {
  name: string;
  host: string;
  domain: string;
  /** features asked for on top of the host's default */
  enable?: string[];
  /** features taken away from the host's default */
  disable?: string[];
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function forEachBounded<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await task(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export class PolicyClient {
  readonly #api: CustomObjectsApi;
  readonly #namespace: string;

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#namespace = namespace;
  }

  async create(p: BenchPolicy): Promise<void> {
    await this.#api.createNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      plural: DOMAIN_PLURAL,
      namespace: this.#namespace,
      body: {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: "DomainCpuidPolicy",
        metadata: { name: p.name, namespace: this.#namespace },
        spec: { host: p.host, domain: p.domain, guestType: "hvm", baseline: "default", ...(p.enable ? { enable: p.enable } : {}), ...(p.disable ? { disable: p.disable } : {}) },
      },
    });
  }

  /** A new spec.disable (a new generation). */
  async changeDisable(name: string, disable: string[]): Promise<void> {
    await this.#api.patchNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL, namespace: this.#namespace, name, body: { spec: { disable } } }, mergePatch);
  }

  async delete(name: string): Promise<void> {
    await this.#api.deleteNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL, namespace: this.#namespace, name });
  }

  async list(): Promise<DomainCpuidPolicyObject[]> {
    const list = (await this.#api.listNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL, namespace: this.#namespace })) as { items: DomainCpuidPolicyObject[] };
    return list.items;
  }

  /** A plain JSON merge patch of the status subresource, the kind of write the controller makes. */
  async patchStatus(name: string, status: Record<string, unknown>): Promise<void> {
    await this.#api.patchNamespacedCustomObjectStatus(
      { group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL, namespace: this.#namespace, name, body: { status } },
      mergePatch,
    );
  }
}
