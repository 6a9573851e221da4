// The controller's write path alone: CPU per DomainCpuidPolicy status patch
// in this process, through client-node's generated CustomObjectsApi (what the
// controller used until 2026-12-07) and through ObjectWriter (KubeRest over
// node:https, what it uses now), on the same keep-alive pool, against the
// real local control plane, with each patch's latency. Rounds alternate
// between the two so that a machine that speeds up or slows down weighs on
// both alike.
//
//   node_modules/.bin/node bench/kube-writes.ts [--objects 2000] [--rounds 3] [--concurrency 32]

import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { DomainCpuidPolicyObject, DomainCpuidPolicyStatus } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL } from "../shared/api/v1alpha1/names.ts";
import { forEachBounded } from "./fleet/policies.ts";
import { percentile } from "./fleet/process-stats.ts";
import { machine } from "./support/machine.ts";
import { appliedStatus, statusPatchArgs, withStatusPatchPlane } from "./support/status-patch-plane.ts";

const run = statusPatchArgs();
const { objectCount, rounds, concurrency } = run;
const NAMESPACE = "kube-writes";

console.log(`kube-writes benchmark: ${objectCount} status patches per round, ${rounds} rounds per client, ${concurrency} in flight; ${machine()}`);
await withStatusPatchPlane(NAMESPACE, run, async ({ api, writer, objects }) => {
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
      const latencies: number[] = [];
      await forEachBounded(objects, concurrency, async (obj, i) => {
        const sent = performance.now();
        await patch(obj, appliedStatus(round, i));
        latencies.push(performance.now() - sent);
      });
      const cpu = process.cpuUsage(cpuBefore);
      latencies.sort((a, b) => a - b);
      const seconds = (performance.now() - started) / 1000;
      const ms = (cpu.user + cpu.system) / 1000 / objectCount;
      perPatchMs.get(name)!.push(ms);
      console.log(`  ${name.padEnd(30)} round ${r + 1}: ${(objectCount / seconds).toFixed(0)} patches/s, ${ms.toFixed(3)} ms CPU per patch (user ${(cpu.user / 1000 / objectCount).toFixed(3)}, system ${(cpu.system / 1000 / objectCount).toFixed(3)}), latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`);
    }
  }
  console.log("\nmedian CPU per status patch in this process:");
  for (const [name, ms] of perPatchMs) console.log(`  ${name.padEnd(30)} ${percentile([...ms].sort((a, b) => a - b), 50).toFixed(3)} ms`);
});
