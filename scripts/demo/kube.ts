// The demo's few direct API calls (kubectl is for what users do: apply).

import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { CpuidRolloutObject } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL, HOST_PLURAL, POOL_PLURAL, ROLLOUT_PLURAL } from "../../shared/api/v1alpha1/names.ts";

export class DemoKube {
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;

  constructor(kubeconfigFile: string) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigFile);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#custom = kc.makeApiClient(CustomObjectsApi);
  }

  async ensureNamespace(name: string): Promise<void> {
    try {
      await this.#core.createNamespace({ body: { metadata: { name } } });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }

  domainPolicies(): Promise<DomainCpuidPolicyObject[]> {
    return this.#list(DOMAIN_PLURAL);
  }

  hostPolicies(): Promise<HostCpuidPolicyObject[]> {
    return this.#list(HOST_PLURAL);
  }

  pools(): Promise<CpuidPoolObject[]> {
    return this.#list(POOL_PLURAL);
  }

  rollouts(): Promise<CpuidRolloutObject[]> {
    return this.#list(ROLLOUT_PLURAL);
  }

  async #list<T>(plural: string): Promise<T[]> {
    const list = (await this.#custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural })) as { items: T[] };
    return list.items;
  }
}
