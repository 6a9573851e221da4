// Controller throughput on the real local control plane: N DomainCpuidPolicies
// (default 10,000) across H simulated hosts (default 1,000; real agents, many
// per process, each with its own NATS identity), created through the API with
// bounded concurrency while cpuid-fleet-controller runs as its own process.
//
// Measures the time from the first create until every policy is Applied,
// throughput, p50/p99 create→Applied latency (also of the policies created
// after the first 10 s, to tell the cold start from the steady state) and the
// controller's RSS, then, in the same run with the controller stopped, the
// rate at which this apiserver takes plain status patches of the same objects
// (the ceiling).
// Goals: throughput >= 50 % of that ceiling; controller RSS <= 300 MB.
//
//   node_modules/.bin/node bench/fleet.ts [--policies 10000] [--hosts 1000] [--pools 4]
//     [--concurrency 32] [--controller-workers 128] [--agent-nice 10] [--controller-node-options "<node flags>"] [--profile] [--heap-profile]
//   --agent-nice: CPU niceness of the simulated hosts' processes; in a fleet each
//     agent runs on its own host, here they share two cores with the control plane
//   --profile: CPU-profile the controller and print where its time went
//   --heap-profile: sample the controller's heap and print what holds it at the end
//   --keep: keep the working directory (controller and agent pool logs)

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "../devenv/repo-root.ts";
import { PolicyWatch } from "./fleet/policy-watch.ts";
import { apiserverWrites, writesBetween } from "./fleet/apiserver-writes.ts";
import { FLEET_ARGS, type Fleet, NAMESPACE, startFleet } from "./fleet/fleet-setup.ts";
import { keepProfile, type ProfileSummary, summariseCpuProfile, summariseHeapProfile } from "./fleet/profiles.ts";
import { forEachBounded, PolicyClient } from "./fleet/policies.ts";
import { cpuSeconds, cpuTimes, percentile, RssSampler } from "./fleet/process-stats.ts";
import { machine } from "./support/machine.ts";

const RSS_GOAL_MB = 300;
const CEILING_GOAL = 0.5;
const APPLY_TIMEOUT_MS = 30 * 60_000;
const IDLE_SAMPLE_MS = 10_000;
const WARM_AFTER_MS = 10_000;

const { values } = parseArgs({
  options: {
    ...FLEET_ARGS,
    "controller-node-options": { type: "string", default: "" },
    profile: { type: "boolean", default: false },
    "heap-profile": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const policyCount = Number(values.policies);
const hostCount = Number(values.hosts);
const concurrency = Number(values.concurrency);

const t0 = performance.now();
const say = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
function printProfile(title: string, summary: ProfileSummary, unit: (amount: number) => string): void {
  console.log(`\n${title}: ${unit(summary.total)}; by file:`);
  for (const s of summary.byFile) console.log(`  ${(s.share * 100).toFixed(1).padStart(5)} %  ${s.what}`);
  console.log("by function:");
  for (const s of summary.byFunction) console.log(`  ${(s.share * 100).toFixed(1).padStart(5)} %  ${s.what}`);
}

async function main(): Promise<void> {
  console.log(`fleet benchmark: ${policyCount} DomainCpuidPolicies on ${hostCount} simulated hosts; ${machine()}`);
  const fleet: Fleet = await startFleet({
    policies: policyCount,
    hosts: hostCount,
    pools: Number(values.pools),
    controllerWorkers: Number(values["controller-workers"]),
    agentNice: Number(values["agent-nice"]),
    controllerNodeOptions: (profileDir) =>
      [
        values["controller-node-options"],
        values.profile ? `--cpu-prof --cpu-prof-dir=${profileDir}` : "",
        values["heap-profile"] ? `--heap-prof --heap-prof-dir=${profileDir}` : "",
      ].join(" ").trim(),
    keep: values.keep,
    say,
  });
  const { plane, controller, policies, profileDir } = fleet;
  try {
    // keep-alive connections, as the controller's own clients use
    const kc = fleet.kubeConfig;
    const client = new PolicyClient(kc, NAMESPACE);
    const watch = new PolicyWatch(kc, NAMESPACE);
    await watch.start();
    const rss = new RssSampler(controller.pid);
    const watched = { controller: controller.pid, ...plane.state.pids, "agent pools": fleet.agentPids };
    const cpuOf = (): Record<string, number> => ({
      ...Object.fromEntries(Object.entries(watched).map(([name, pid]) => [name, [pid].flat().reduce((sum, p) => sum + cpuSeconds(p), 0)])),
      "this benchmark (creates, watch)": cpuSeconds(process.pid),
    });
    // what the controller spends with no policy to reconcile (heartbeats, leases, metrics), for the run's share net of it
    const idleStart = Date.now();
    const idleCpuBefore = cpuSeconds(controller.pid);
    await sleep(IDLE_SAMPLE_MS);
    const controllerIdleShare = (cpuSeconds(controller.pid) - idleCpuBefore) / ((Date.now() - idleStart) / 1000);
    say(`controller idle: ${(controllerIdleShare * 100).toFixed(1)} % of a core`);
    const cpuBefore = cpuOf();
    const cpuWindowStart = Date.now();
    const controllerTimesBefore = cpuTimes(controller.pid);
    const createdAt = new Map<string, number>();

    const writesBefore = await apiserverWrites(kc);
    const start = Date.now();
    let created = 0;
    const ticker = setInterval(
      () => say(`created ${created}/${policyCount}, Applied ${watch.seenAt.size}/${policyCount}; controller RSS ${rss.lastMb.toFixed(0)} MB`),
      2_000,
    );
    const creating = forEachBounded(policies, concurrency, async (p) => {
      await client.create(p);
      createdAt.set(p.name, Date.now());
      created++;
    }).then(() => Date.now());
    const createdAll = await creating;
    const applied = await Promise.race([watch.until(policyCount).then(() => true), sleep(APPLY_TIMEOUT_MS).then(() => false)]);
    const end = Math.max(...watch.seenAt.values());
    clearInterval(ticker);
    watch.stop();
    rss.stop();
    const cpuAfter = cpuOf();
    const cpuWindowSeconds = (Date.now() - cpuWindowStart) / 1000;
    const controllerTimes = cpuTimes(controller.pid);
    const controllerUser = controllerTimes.user - controllerTimesBefore.user;
    const cpuShare = Object.entries(cpuAfter).map(([name, seconds]) => `${name} ${(((seconds - cpuBefore[name]) / cpuWindowSeconds) * 100).toFixed(0)} %`);
    const controllerCpu = cpuAfter.controller - cpuBefore.controller;
    const apiserverCpuInRun = cpuAfter["kube-apiserver"] - cpuBefore["kube-apiserver"];
    const writes = writesBetween(writesBefore, await apiserverWrites(kc));
    if (!applied) say(`only ${watch.seenAt.size}/${policyCount} Applied after ${APPLY_TIMEOUT_MS / 60_000} min`);

    // The ceiling, on the same objects, with nothing else writing to them.
    await controller.stop();
    say("controller stopped; measuring the apiserver's status-patch rate on the same objects");
    // best of two rounds: other load on the machine only ever lowers it
    const rounds: { seconds: number; apiserverCpu: number }[] = [];
    for (const round of [1, 2]) {
      const patchStart = Date.now();
      const apiserverCpuBefore = cpuSeconds(plane.state.pids["kube-apiserver"]!);
      await forEachBounded(policies, concurrency, (p, i) => client.patchStatus(p.name, { lastRequestId: `ceiling-${round}-${i}` }));
      rounds.push({ seconds: (Date.now() - patchStart) / 1000, apiserverCpu: cpuSeconds(plane.state.pids["kube-apiserver"]!) - apiserverCpuBefore });
    }
    const best = rounds.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const patchSeconds = best.seconds;

    const totalSeconds = (end - start) / 1000;
    const throughput = watch.seenAt.size / totalSeconds;
    const ceiling = policyCount / patchSeconds;
    const latencyOf = (created: (at: number) => boolean) =>
      policies.flatMap((p) => (watch.seenAt.has(p.name) && created(createdAt.get(p.name)!) ? [watch.seenAt.get(p.name)! - createdAt.get(p.name)!] : [])).sort((a, b) => a - b);
    const latencies = latencyOf(() => true);
    // apart from the start-up transient (its cause is not measured apart), to tell it from the steady state
    const warmLatencies = latencyOf((at) => at - start >= WARM_AFTER_MS);
    const totalWrites = writes.reduce((sum, [, n]) => sum + n, 0);
    const msPerApplied = (seconds: number) => ((seconds / watch.seenAt.size) * 1000).toFixed(2);

    console.log(`
results (${policyCount} policies, ${hostCount} hosts, create concurrency ${concurrency}, ${values["controller-workers"]} controller workers)
  creates took                ${((createdAll - start) / 1000).toFixed(1)} s (${(policyCount / ((createdAll - start) / 1000)).toFixed(0)}/s)
  first create → all Applied  ${totalSeconds.toFixed(1)} s (${watch.seenAt.size} Applied)
  throughput                  ${throughput.toFixed(0)} policies/s
  create → Applied latency    p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms
    of those created after the first ${WARM_AFTER_MS / 1000} s (${warmLatencies.length})${warmLatencies.length ? `: p50 ${percentile(warmLatencies, 50)} ms, p99 ${percentile(warmLatencies, 99)} ms, max ${warmLatencies[warmLatencies.length - 1]} ms` : ""}
  controller                  RSS peak ${rss.peakMb.toFixed(0)} MB (goal <= ${RSS_GOAL_MB} MB: ${rss.peakMb <= RSS_GOAL_MB ? "met" : "MISSED"}), ${controllerCpu.toFixed(1)} s CPU (${((controllerCpu / cpuWindowSeconds) * 100).toFixed(0)} % of a core; ${msPerApplied(controllerCpu)} ms per policy Applied, of which ${msPerApplied(controllerUser)} ms in user space and ${msPerApplied(controllerCpu - controllerUser)} ms in the kernel; ${msPerApplied(controllerCpu - controllerIdleShare * cpuWindowSeconds)} ms net of its idle ${(controllerIdleShare * 100).toFixed(1)} % of a core)
  status-patch ceiling        ${ceiling.toFixed(0)} patches/s (best of 2 rounds of ${policyCount} merge patches of .status, concurrency ${concurrency}: ${rounds.map((r) => `${r.seconds.toFixed(1)} s`).join(", ")}; kube-apiserver at ${((best.apiserverCpu / best.seconds) * 100).toFixed(0)} % of a core, ${((best.apiserverCpu / policyCount) * 1000).toFixed(2)} ms CPU per patch)
  throughput / ceiling        ${((throughput / ceiling) * 100).toFixed(0)} % (goal >= ${CEILING_GOAL * 100} %: ${throughput / ceiling >= CEILING_GOAL ? "met" : "MISSED"})
  controller CPU per policy / kube-apiserver CPU per ceiling patch  ${(controllerCpu / watch.seenAt.size / (best.apiserverCpu / policyCount)).toFixed(2)} (the same work on a faster or slower machine: compares runs across machines)
  CPU during the run (% of one core) ${cpuShare.join(", ")}
  apiserver writes in the run ${totalWrites} (${(totalWrites / totalSeconds).toFixed(0)}/s, ${((totalWrites / totalSeconds / ceiling) * 100).toFixed(0)} % of the ceiling rate; ${((apiserverCpuInRun / totalWrites) * 1000).toFixed(2)} ms kube-apiserver CPU per write), per policy:
${writes.map(([what, n]) => `    ${(n / policyCount).toFixed(2).padStart(6)}  ${what}`).join("\n")}`);

    const profiles = readdirSync(profileDir);
    const cpuProfile = profiles.find((f) => f.endsWith(".cpuprofile"));
    if (cpuProfile) {
      printProfile("controller CPU profile (self time)", summariseCpuProfile(join(profileDir, cpuProfile), REPO_ROOT), (ms) => `${(ms / 1000).toFixed(1)} s`);
      console.log(`  the whole profile (Chrome DevTools, speedscope): ${keepProfile(join(profileDir, cpuProfile))}`);
    }
    const heapProfile = profiles.find((f) => f.endsWith(".heapprofile"));
    if (heapProfile) printProfile("controller heap at exit (sampled)", summariseHeapProfile(join(profileDir, heapProfile), REPO_ROOT), (b) => `${(b / 1048576).toFixed(0)} MB`);
  } finally {
    await fleet.stop();
  }
}

await main();
process.exit(0);
