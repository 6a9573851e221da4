// The controller's watch path alone: CPU per watch event in this process for
// the controller's informer over DomainCpuidPolicies, against the real local
// control plane. Every round merge-patches the status of every object (as the
// controller does once per policy, each patch one MODIFIED event); a round
// without an informer measures the patches alone, and the informer's cost per
// event is what a round with it costs beyond that. Rounds alternate so that a
// machine that speeds up or slows down weighs on all alike.
//
//   node_modules/.bin/node bench/kube-watch.ts [--objects 2000] [--rounds 3] [--concurrency 32]

import type { KubernetesListObject } from "@kubernetes/client-node";
import pino from "pino";
import { ResilientInformer } from "../controller/kube/informer.ts";
import type { DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL, domainPoliciesPath } from "../shared/api/v1alpha1/names.ts";
import { forEachBounded } from "./fleet/policies.ts";
import { percentile } from "./fleet/process-stats.ts";
import { appliedStatus, machine, statusPatchArgs, withStatusPatchPlane } from "./support/status-patch-plane.ts";

const run = statusPatchArgs();
const { objectCount, rounds, concurrency } = run;
const NAMESPACE = "kube-watch";

console.log(`kube-watch benchmark: ${objectCount} status patches per round, ${rounds} rounds per arm, ${concurrency} in flight; ${machine()}`);
await withStatusPatchPlane(NAMESPACE, run, async ({ kubeConfig, api, writer, objects }) => {
  const log = pino({ level: "warn" });
  /** an arm starts its informer (synced), and returns how many events it saw and how to stop it */
  type Arm = () => Promise<{ events: () => number; stop: () => Promise<void> }>;
  const arms: Record<string, Arm> = {
    "no informer (patches alone)": async () => ({ events: () => 0, stop: async () => {} }),
    "client-node informer": async () => {
      let events = 0;
      const informer = new ResilientInformer<DomainCpuidPolicyObject>({
        kubeConfig,
        path: domainPoliciesPath(NAMESPACE),
        list: () => api.listNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL, namespace: NAMESPACE }) as Promise<KubernetesListObject<DomainCpuidPolicyObject>>,
        log,
        backoff: { baseMs: 100, maxMs: 1_000 },
        onUpdate: () => events++,
      });
      await informer.start();
      return { events: () => events, stop: () => informer.stop() };
    },
  };

  const cpuMs = new Map<string, number[]>(Object.keys(arms).map((name) => [name, []]));
  let round = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [name, start] of Object.entries(arms)) {
      round++;
      const arm = await start();
      const cpuBefore = process.cpuUsage();
      await forEachBounded(objects, concurrency, async (obj, i) => {
        await writer.patchDomainStatus(obj, undefined, appliedStatus(round, i));
      });
      // the last events arrive just after the last patch's answer
      const deadline = Date.now() + 10_000;
      while (name !== "no informer (patches alone)" && arm.events() < objectCount && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      const cpu = process.cpuUsage(cpuBefore);
      await arm.stop();
      const ms = (cpu.user + cpu.system) / 1000;
      cpuMs.get(name)!.push(ms);
      console.log(`  ${name.padEnd(30)} round ${r + 1}: ${(ms / objectCount).toFixed(3)} ms CPU per patch${arm.events() ? `, ${arm.events()} events` : ""}`);
    }
  }
  const median = (name: string) => percentile([...cpuMs.get(name)!].sort((a, b) => a - b), 50);
  const alone = median("no informer (patches alone)");
  console.log("\nmedian CPU per watch event in this process (beyond the patches alone):");
  for (const name of Object.keys(arms)) if (name !== "no informer (patches alone)") console.log(`  ${name.padEnd(30)} ${((median(name) - alone) / objectCount).toFixed(3)} ms`);
});
