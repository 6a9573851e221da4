// Child process of bench/kube-watch.ts: merge-patches the status of
// DomainCpuidPolicies w-0 … w-<count-1> once each, so that the benchmark's
// own process does nothing but watch.
//
//   node bench/support/patch-statuses.ts <kubeconfig> <namespace> <count> <round> <concurrency>

import { ApiserverThrottle } from "../../controller/kube/apiserver-throttle.ts";
import { loadKubeConfig } from "../../controller/kube/kube-config.ts";
import { KubeRest } from "../../controller/kube/kube-rest.ts";
import { ObjectWriter } from "../../controller/kube/object-writer.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { forEachBounded } from "../fleet/policies.ts";
import { appliedStatus } from "./status-patch-plane.ts";

const [kubeconfig, namespace, count, round, concurrency] = process.argv.slice(2);
const kubeConfig = loadKubeConfig(kubeconfig);
const writer = new ObjectWriter(kubeConfig, new KubeRest(kubeConfig), new ApiserverThrottle({ baseMs: 1_000, maxMs: 2_000, openAt: 1 }, { throttled: () => {}, gate: () => {} }));
const objects = Array.from({ length: Number(count) }, (_, i) => ({ metadata: { name: `w-${i}`, namespace } }) as DomainCpuidPolicyObject);
await forEachBounded(objects, Number(concurrency), async (obj, i) => {
  await writer.patchDomainStatus(obj, undefined, appliedStatus(Number(round), i));
});
process.exit(0);
