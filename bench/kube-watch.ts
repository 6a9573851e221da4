// The controller's watch path alone: CPU per watch event of its informer
// over DomainCpuidPolicies (controller/kube/informer.ts, on client-node 1.4's
// makeInformer), against the real local control plane. Every round a child process
// merge-patches the status of every object (as the controller does once per
// policy: each patch one MODIFIED event), so this process only watches; its
// CPU from the child's start to the last event, over the events, is the
// informer's cost per event.
//
//   node_modules/.bin/node bench/kube-watch.ts [--objects 2000] [--rounds 3] [--concurrency 32]

import { spawn } from "node:child_process";
import { once } from "node:events";
import type { KubernetesListObject } from "@kubernetes/client-node";
import pino from "pino";
import { ResilientInformer } from "../controller/kube/informer.ts";
import type { DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL, domainPoliciesPath } from "../shared/api/v1alpha1/names.ts";
import { percentile } from "./fleet/process-stats.ts";
import { machine } from "./support/machine.ts";
import { statusPatchArgs, withStatusPatchPlane } from "./support/status-patch-plane.ts";

const run = statusPatchArgs();
const { objectCount, rounds, concurrency } = run;
const NAMESPACE = "kube-watch";
const PATCHER = new URL("./support/patch-statuses.ts", import.meta.url).pathname;

console.log(`kube-watch benchmark: ${objectCount} status patches per round (from a child process), ${rounds} rounds, ${concurrency} in flight; ${machine()}`);
await withStatusPatchPlane(NAMESPACE, run, async ({ kubeConfig, kubeconfigFile, api }) => {
  const list = () => api.listNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL, namespace: NAMESPACE }) as Promise<KubernetesListObject<DomainCpuidPolicyObject>>;
  const perEventMs: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    let events = 0;
    let allSeen!: () => void;
    const seen = new Promise<void>((resolve) => (allSeen = resolve));
    const informer = new ResilientInformer<DomainCpuidPolicyObject>({
      kubeConfig,
      path: domainPoliciesPath(NAMESPACE),
      list,
      log: pino({ level: "warn" }),
      backoff: { baseMs: 100, maxMs: 1_000 },
      onUpdate: () => {
        if (++events === objectCount) allSeen();
      },
    });
    await informer.start();
    const cpuBefore = process.cpuUsage();
    const patcher = spawn(process.execPath, [PATCHER, kubeconfigFile, NAMESPACE, String(objectCount), String(round), String(concurrency)], { stdio: "inherit" });
    const failed = once(patcher, "exit").then(([code]) => {
      if (code !== 0) throw new Error(`the patching child process exited with ${code}`);
      return new Promise<never>(() => {});
    });
    await Promise.race([seen, failed]);
    const cpu = process.cpuUsage(cpuBefore);
    await informer.stop();
    const ms = (cpu.user + cpu.system) / 1000 / objectCount;
    perEventMs.push(ms);
    console.log(`  round ${round}: ${ms.toFixed(3)} ms CPU per event (user ${(cpu.user / 1000 / objectCount).toFixed(3)}, system ${(cpu.system / 1000 / objectCount).toFixed(3)})`);
  }
  console.log(`\nmedian CPU per watch event in this process: ${percentile(perEventMs.sort((a, b) => a - b), 50).toFixed(3)} ms`);
});
