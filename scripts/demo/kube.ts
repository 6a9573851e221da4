// The demo's few direct API calls (kubectl is for what users do: apply).

import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL, HOST_PLURAL } from "../../shared/api/v1alpha1/names.ts";

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

  async domainPolicies(): Promise<DomainCpuidPolicyObject[]> {
    const list = (await this.#custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL })) as { items: DomainCpuidPolicyObject[] };
    return list.items;
  }

  async hostPolicies(): Promise<HostCpuidPolicyObject[]> {
    const list = (await this.#custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: HOST_PLURAL })) as { items: HostCpuidPolicyObject[] };
    return list.items;
  }
}
