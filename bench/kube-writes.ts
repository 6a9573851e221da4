// The controller's write path alone: CPU per DomainCpuidPolicy status patch
// in this process, through client-node's generated CustomObjectsApi (what the
// controller used until 2026-12-07) and through ObjectWriter (KubeRest over
// node:https, what it uses now), on the same keep-alive pool, against the
// real local control plane. Rounds alternate between the two so that a
// machine that speeds up or slows down weighs on both alike.
//
//   node_modules/.bin/node bench/kube-writes.ts [--objects 2000] [--rounds 3] [--concurrency 32]

import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { ApiserverThrottle } from "../controller/kube/apiserver-throttle.ts";
import { loadKubeConfig } from "../controller/kube/kube-config.ts";
import { ObjectWriter } from "../controller/kube/object-writer.ts";
import { ControlPlane } from "../devenv/plane/control-plane.ts";
import { ensureControlPlaneBinaries } from "../devenv/toolchain/ensure.ts";
import type { DomainCpuidPolicyObject, DomainCpuidPolicyStatus } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL } from "../shared/api/v1alpha1/names.ts";
import { forEachBounded } from "./fleet/policies.ts";
import { percentile } from "./fleet/process-stats.ts";

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "32" },
  },
});
const objectCount = Number(values.objects);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const NAMESPACE = "kube-writes";

/** a status shaped like the controller's for an applied policy */
const statusFor = (round: number, i: number): DomainCpuidPolicyStatus => ({
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

console.log(`kube-writes benchmark: ${objectCount} status patches per round, ${rounds} rounds per client, ${concurrency} in flight; ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}`);
const plane = await ControlPlane.start({ hosts: [], binaries: await ensureControlPlaneBinaries(), keep: false });
try {
  const kubeConfig = loadKubeConfig(plane.info().kubeconfig);
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const writer = new ObjectWriter(kubeConfig, new ApiserverThrottle({ baseMs: 1_000, maxMs: 2_000, openAt: 1 }, { throttled: () => {}, gate: () => {} }));
  await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const objects: DomainCpuidPolicyObject[] = [];
  await forEachBounded(Array.from({ length: objectCount }, (_, i) => i), concurrency, async (i) => {
    objects[i] = (await api.createNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      plural: DOMAIN_PLURAL,
      namespace: NAMESPACE,
      body: { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: "DomainCpuidPolicy", metadata: { name: `w-${i}` }, spec: { host: "h", domain: `d-${i}`, guestType: "hvm" } },
    })) as DomainCpuidPolicyObject;
  });

  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  const clients = {
    "client-node CustomObjectsApi": (obj: DomainCpuidPolicyObject, status: DomainCpuidPolicyStatus) =>
      api.patchNamespacedCustomObjectStatus(
        { group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL, namespace: NAMESPACE, name: obj.metadata.name!, body: { status }, fieldManager: "cpuid-fleet-controller" },
        mergePatch,
      ),
    "ObjectWriter (KubeRest)": (obj: DomainCpuidPolicyObject, status: DomainCpuidPolicyStatus) => writer.patchDomainStatus(obj, undefined, status),
  };
  const perPatchMs = new Map<string, number[]>(Object.keys(clients).map((name) => [name, []]));
  let round = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [name, patch] of Object.entries(clients)) {
      round++;
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      await forEachBounded(objects, concurrency, async (obj, i) => {
        await patch(obj, statusFor(round, i));
      });
      const cpu = process.cpuUsage(cpuBefore);
      const seconds = (performance.now() - started) / 1000;
      const ms = (cpu.user + cpu.system) / 1000 / objectCount;
      perPatchMs.get(name)!.push(ms);
      console.log(`  ${name.padEnd(30)} round ${r + 1}: ${(objectCount / seconds).toFixed(0)} patches/s, ${ms.toFixed(3)} ms CPU per patch (user ${(cpu.user / 1000 / objectCount).toFixed(3)}, system ${(cpu.system / 1000 / objectCount).toFixed(3)})`);
    }
  }
  console.log("\nmedian CPU per status patch in this process:");
  for (const [name, ms] of perPatchMs) console.log(`  ${name.padEnd(30)} ${percentile([...ms].sort((a, b) => a - b), 50).toFixed(3)} ms`);
} finally {
  await plane.stop();
}
