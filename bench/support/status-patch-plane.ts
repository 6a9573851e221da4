// What the benchmarks of the controller's own API traffic (bench/kube-writes.ts,
// bench/kube-watch.ts) share: their options, a local control plane holding
// DomainCpuidPolicies to patch, the controller's writer, and a status shaped
// like the controller's for an applied policy.

import { parseArgs } from "node:util";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { ApiserverThrottle } from "../../controller/kube/apiserver-throttle.ts";
import { loadKubeConfig } from "../../controller/kube/kube-config.ts";
import { KubeRest } from "../../controller/kube/kube-rest.ts";
import { ObjectWriter } from "../../controller/kube/object-writer.ts";
import { ControlPlane } from "../../devenv/plane/control-plane.ts";
import { ensureControlPlaneBinaries } from "../../devenv/toolchain/ensure.ts";
import type { DomainCpuidPolicyObject, DomainCpuidPolicyStatus } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL } from "../../shared/api/v1alpha1/names.ts";
import { forEachBounded } from "../fleet/policies.ts";

export interface StatusPatchRun {
  objectCount: number;
  rounds: number;
  concurrency: number;
}

/** --objects (2000), --rounds (3), --concurrency (32) */
export function statusPatchArgs(): StatusPatchRun {
  const { values } = parseArgs({
    options: {
      objects: { type: "string", default: "2000" },
      rounds: { type: "string", default: "3" },
      concurrency: { type: "string", default: "32" },
    },
  });
  return { objectCount: Number(values.objects), rounds: Number(values.rounds), concurrency: Number(values.concurrency) };
}

/** a status shaped like the controller's for an applied policy */
export const appliedStatus = (round: number, i: number): DomainCpuidPolicyStatus => ({
  observedGeneration: 1,
  lastRequestId: `round-${round}-${i}`,
  conditions: ["Audited", "Applied", "Ready"].map((type) => ({
    type,
    status: "True" as const,
    reason: "Applied",
    message: `the policy is applied to domain d-${i} on host h (round ${round})`,
    lastTransitionTime: "2026-12-07T00:00:00Z",
    observedGeneration: 1,
  })),
  removedFeatures: ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"],
});

export interface StatusPatchPlane {
  kubeConfig: KubeConfig;
  kubeconfigFile: string;
  api: CustomObjectsApi;
  writer: ObjectWriter;
  objects: DomainCpuidPolicyObject[];
}

/** Starts a local control plane with `objectCount` DomainCpuidPolicies in `namespace`, runs `body`, stops the plane. */
export async function withStatusPatchPlane(namespace: string, run: StatusPatchRun, body: (plane: StatusPatchPlane) => Promise<void>): Promise<void> {
  const plane = await ControlPlane.start({ hosts: [], binaries: await ensureControlPlaneBinaries(), keep: false });
  try {
    const kubeconfigFile = plane.info().kubeconfig;
    const kubeConfig = loadKubeConfig(kubeconfigFile);
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    const writer = new ObjectWriter(kubeConfig, new KubeRest(kubeConfig), new ApiserverThrottle({ baseMs: 1_000, maxMs: 2_000, openAt: 1 }, { throttled: () => {}, gate: () => {} }));
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    const objects: DomainCpuidPolicyObject[] = [];
    await forEachBounded(Array.from({ length: run.objectCount }, (_, i) => i), run.concurrency, async (i) => {
      objects[i] = (await api.createNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: DOMAIN_PLURAL,
        namespace,
        body: { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: "DomainCpuidPolicy", metadata: { name: `w-${i}` }, spec: { host: "h", domain: `d-${i}`, guestType: "hvm" } },
      })) as DomainCpuidPolicyObject;
    });
    await body({ kubeConfig, kubeconfigFile, api, writer, objects });
  } finally {
    await plane.stop();
  }
}
