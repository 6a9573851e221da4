// A CpuidRollout at fleet scale (issue 11 item 8): on the fleet benchmark's
// fleet (default 10,000 DomainCpuidPolicies on 1,000 simulated hosts), once
// every policy is Applied, one rollout enables a feature in all of them in
// 10 waves (cumulative 10 %, 20 %, …, 100 %; pause 0s), then rolls it back.
//
// The feature, itsc (invariant TSC), is in the HVM guest max but not the
// default of every CPU profile the fleet's hosts run (Intel and AMD alike),
// so every policy should take it and the rollout complete with no failures.
//
// For the rollout and for the rollback, from the moment it is asked for:
// each wave's start → settle time (from status.waves, and as this benchmark's
// watches saw it), the total time, the apiserver's writes per policy (its own
// apiserver_request_total, as bench/fleet.ts counts them), the controller's
// CPU seconds and RSS; then it lists every policy and checks that its
// status names the rollout (or no longer does) and its featureset has the
// feature (or not), and that no policy's spec was written (metadata.generation).
//
//   node_modules/.bin/node bench/rollout.ts [--policies 10000] [--hosts 1000] [--pools 4]
//     [--concurrency 32] [--controller-workers 128] [--agent-nice 10] [--no-rollback] [--keep]

import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, ROLLOUT_NAMES, ROLLOUT_PLURAL } from "../shared/api/v1alpha1/names.ts";
import { featureByName } from "../shared/featureset/features.ts";
import { hasFeature, parseFeatureset } from "../shared/featureset/featureset.ts";
import { apiserverWrites, writesBetween } from "./fleet/apiserver-writes.ts";
import { controllerStatusWrites, FLEET_ARGS, type Fleet, NAMESPACE, startFleet, waitForIdleController } from "./fleet/fleet-setup.ts";
import { applied, PolicyWatch } from "./fleet/policy-watch.ts";
import { forEachBounded, PolicyClient } from "./fleet/policies.ts";
import { cpuSeconds, RssSampler } from "./fleet/process-stats.ts";
import { RolloutWatch } from "./fleet/rollout-watch.ts";
import { machine } from "./support/machine.ts";

const ROLLOUT = "bench-itsc";
const FEATURE = "itsc";
const WAVES = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
const TIMEOUT_MS = 30 * 60_000;

const { values } = parseArgs({
  allowNegative: true,
  options: {
    ...FLEET_ARGS,
    rollback: { type: "boolean", default: true },
    keep: { type: "boolean", default: false },
  },
});
const policyCount = Number(values.policies);
const hostCount = Number(values.hosts);

const t0 = performance.now();
const say = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const carries = (obj: DomainCpuidPolicyObject) => obj.status?.rollouts?.includes(ROLLOUT) ?? false;
const itsc = featureByName(FEATURE)!;
const hasItsc = (obj: DomainCpuidPolicyObject) => obj.status?.featureset !== undefined && hasFeature(parseFeatureset(obj.status.featureset), itsc);

interface Phase {
  title: string;
  /** the wave phases that start and end a wave in this direction */
  from: string;
  to: string;
  /** the condition that says the whole run is done */
  done: string;
  /** reached: a policy in this state is done */
  reached: (obj: DomainCpuidPolicyObject) => boolean;
  /** what the change does, as the apiserver is asked */
  ask: () => Promise<void>;
  /** the end state every policy should be in */
  expect: (obj: DomainCpuidPolicyObject) => string | undefined;
}

async function measure(fleet: Fleet, policies: PolicyWatch, client: PolicyClient, generations: Map<string, number>, phase: Phase): Promise<boolean> {
  const kc = fleet.kubeConfig;
  const controller = fleet.controller;
  const rollout = new RolloutWatch(kc, ROLLOUT);
  await rollout.start();
  policies.watchFor(phase.reached);
  const loadBefore = load();
  const rss = new RssSampler(controller.pid);
  const rssBefore = rss.lastMb;
  const cpuBefore = cpuSeconds(controller.pid);
  const apiserverCpuBefore = cpuSeconds(fleet.plane.state.pids["kube-apiserver"]!);
  const writesBefore = await apiserverWrites(kc);
  const rolloutWritesBefore = await controllerStatusWrites(controller.metricsUrl, "rollout");
  const start = Date.now();
  await phase.ask();
  const ticker = setInterval(() => {
    const s = rollout.status;
    say(`${phase.title}: wave ${(s?.currentWave ?? -1) + 1}/${s?.waveCount ?? "?"}, ${policies.seenAt.size}/${policyCount} policies done; controller RSS ${rss.lastMb.toFixed(0)} MB; load ${load()}`);
  }, 5_000);
  const doneAt = await Promise.race([rollout.untilCondition(phase.done), sleep(TIMEOUT_MS).then(() => undefined)]);
  clearInterval(ticker);
  const end = doneAt ?? Date.now();
  rss.stop();
  const cpu = cpuSeconds(controller.pid) - cpuBefore;
  const apiserverCpu = cpuSeconds(fleet.plane.state.pids["kube-apiserver"]!) - apiserverCpuBefore;
  const rolloutWrites = (await controllerStatusWrites(controller.metricsUrl, "rollout")) - rolloutWritesBefore;
  // what follows the condition (the last rollout status, late policy writes) belongs to the run too
  await waitForIdleController(controller.metricsUrl);
  const writes = writesBetween(writesBefore, await apiserverWrites(kc));
  rollout.stop();
  const totalMs = end - start;
  const totalWrites = writes.reduce((sum, [, n]) => sum + n, 0);

  const listed = await client.list();
  const wrong = new Map<string, number>();
  let specWritten = 0;
  for (const obj of listed) {
    if (obj.metadata.generation !== generations.get(obj.metadata.name!)) specWritten++;
    const problem = phase.expect(obj);
    if (problem) wrong.set(problem, (wrong.get(problem) ?? 0) + 1);
  }

  const status = rollout.status;
  const waves = status?.waves ?? [];
  const order = phase.from === "Progressing" ? waves.map((_, i) => i) : waves.map((_, i) => waves.length - 1 - i);
  const rows = order.map((i) => {
    const w = waves[i];
    const seenFrom = rollout.phaseSeenAt.get(`${i} ${phase.from}`);
    const seenTo = rollout.phaseSeenAt.get(`${i} ${phase.to}`);
    const lastPolicy = Math.max(...w.policies.map((k) => policies.seenAt.get(k.split("/")[1]) ?? NaN));
    const fromStatus = phase.from === "Progressing" && w.startedAt && w.settledAt ? seconds(Date.parse(w.settledAt) - Date.parse(w.startedAt)) : "-";
    const cells = [
      `${i + 1}`.padStart(4),
      `${w.policies.length}`.padStart(8),
      fromStatus.padStart(12),
      (seenFrom && seenTo ? seconds(seenTo - seenFrom) : "-").padStart(12),
      (seenFrom ? seconds(seenFrom - start) : "-").padStart(10),
      (seenFrom && Number.isFinite(lastPolicy) ? seconds(lastPolicy - seenFrom) : "-").padStart(14),
      (seenTo ? seconds(seenTo - start) : "-").padStart(10),
    ];
    return `    ${cells.join(" ")}`;
  });
  const counts = status?.counts;
  console.log(`
${phase.title} (${policyCount} policies, ${hostCount} hosts, ${waves.length} waves, pause 0s): load average before ${loadBefore}, after ${load()}
  asked → ${phase.done}       ${doneAt === undefined ? `NOT within ${TIMEOUT_MS / 60_000} min` : seconds(totalMs)} (${(policyCount / (totalMs / 1000)).toFixed(0)} policies/s)
  waves (times in s; "status": startedAt → settledAt as stored; "seen": as this benchmark's watch saw the phases change;
         "last policy": from the wave seen starting to its last policy seen done; "+start"/"+end": since asked)
    wave policies  status s→s   seen s→s     +start   last policy       +end
${rows.join("\n")}
  counts                      ${counts ? Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ") : "-"}
  conditions                  ${(status?.conditions ?? []).map((c) => `${c.type}=${c.status} (${c.reason})`).join(", ")}
  controller                  ${cpu.toFixed(1)} s CPU (${((cpu / (totalMs / 1000)) * 100).toFixed(0)} % of a core); RSS ${rssBefore.toFixed(0)} MB before, peak ${rss.peakMb.toFixed(0)} MB
  kube-apiserver              ${apiserverCpu.toFixed(1)} s CPU (${((apiserverCpu / (totalMs / 1000)) * 100).toFixed(0)} % of a core)
  rollout object              ${(rollout.largestBytes / 1024).toFixed(0)} KiB at its largest (JSON); ${rolloutWrites} status writes by the controller, ${rollout.updates} updates seen
  apiserver writes            ${totalWrites} (${(totalWrites / policyCount).toFixed(2)} per policy), per policy:
${writes.map(([what, n]) => `    ${(n / policyCount).toFixed(3).padStart(7)}  ${what} (${n})`).join("\n")}
  check (${listed.length} policies listed) ${wrong.size === 0 ? "every policy as expected" : [...wrong].map(([what, n]) => `${n} ${what}`).join("; ")}; ${specWritten} specs written (generation changed)`);
  return doneAt !== undefined && wrong.size === 0 && specWritten === 0 && listed.length === policyCount;
}

async function main(): Promise<void> {
  console.log(`rollout benchmark: ${policyCount} DomainCpuidPolicies on ${hostCount} simulated hosts; ${machine()}; load average ${load()}`);
  const fleet = await startFleet({
    policies: policyCount,
    hosts: hostCount,
    pools: Number(values.pools),
    controllerWorkers: Number(values["controller-workers"]),
    agentNice: Number(values["agent-nice"]),
    controllerNodeOptions: () => "",
    keep: values.keep,
    say,
  });
  let ok: boolean;
  try {
    const kc = fleet.kubeConfig;
    const client = new PolicyClient(kc, NAMESPACE);
    const watch = new PolicyWatch(kc, NAMESPACE, applied);
    await watch.start();
    const createStart = Date.now();
    await forEachBounded(fleet.policies, Number(values.concurrency), (p) => client.create(p));
    await Promise.race([watch.until(policyCount), sleep(TIMEOUT_MS)]);
    say(`${watch.seenAt.size}/${policyCount} policies Applied after ${seconds(Date.now() - createStart)}`);
    await waitForIdleController(fleet.controller.metricsUrl);
    say(`controller idle; load average ${load()}`);
    const generations = new Map((await client.list()).map((o) => [o.metadata.name!, o.metadata.generation ?? 0]));

    const api = kc.makeApiClient(CustomObjectsApi);
    const target = { group: API_GROUP, version: API_VERSION, plural: ROLLOUT_PLURAL };
    ok = await measure(fleet, watch, client, generations, {
      title: `rollout: enable ${FEATURE}`,
      from: "Progressing",
      to: "Settled",
      done: "Complete",
      reached: (obj) => carries(obj) && applied(obj),
      ask: async () => {
        await api.createClusterCustomObject({
          ...target,
          body: {
            apiVersion: `${API_GROUP}/${API_VERSION}`,
            kind: ROLLOUT_NAMES.kind,
            metadata: { name: ROLLOUT },
            spec: { enable: [FEATURE], strategy: { waves: WAVES, pause: "0s" } },
          },
        });
      },
      expect: (obj) => (!carries(obj) ? "without the rollout in status.rollouts" : !applied(obj) ? "not Applied" : !hasItsc(obj) ? `without ${FEATURE} in status.featureset` : undefined),
    });
    if (values.rollback) {
      ok =
        (await measure(fleet, watch, client, generations, {
          title: "rollback (spec.rollback: true)",
          from: "RollingBack",
          to: "RolledBack",
          done: "RolledBack",
          reached: (obj) => !carries(obj) && applied(obj),
          ask: async () => {
            await api.patchClusterCustomObject({ ...target, name: ROLLOUT, body: { spec: { rollback: true } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
          },
          expect: (obj) => (carries(obj) ? "still with the rollout in status.rollouts" : !applied(obj) ? "not Applied" : hasItsc(obj) ? `still with ${FEATURE} in status.featureset` : undefined),
        })) && ok;
    }
    watch.stop();
  } finally {
    await fleet.stop();
  }
  process.exit(ok ? 0 : 1);
}

await main();
