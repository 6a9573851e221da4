// The simulated fleet the fleet and rollout benchmarks run on: the real local
// control plane, H simulated hosts (real agents, many per process, each with
// its own NATS identity) and cpuid-fleet-controller as its own process, led
// and idle once every host is mirrored; then N DomainCpuidPolicies spread
// over the hosts.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { loadKubeConfig } from "../../controller/kube/kube-config.ts";
import { ControlPlane } from "../../devenv/plane/control-plane.ts";
import { ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import { startAgentPools } from "../../devenv/daemons/agent-pool.ts";
import { DEMO_HOSTS, profilePath } from "../../scripts/demo/hosts.ts";
import { DemoKube } from "../../scripts/demo/kube.ts";
import { ensureControlPlaneBinaries } from "../../devenv/toolchain/ensure.ts";
import type { BenchPolicy } from "./policies.ts";
import { DEFAULT_WORKERS } from "../../controller/config.ts";

export const NAMESPACE = "bench-fleet";

/** The command-line options (node:util parseArgs) that size and tune the fleet, with their defaults. */
export const FLEET_ARGS = {
    policies: { type: "string", default: "10000" },
    hosts: { type: "string", default: "1000" },
    pools: { type: "string", default: "4" },
    concurrency: { type: "string", default: "32" },
    "controller-workers": { type: "string", default: String(DEFAULT_WORKERS) },
    "agent-nice": { type: "string", default: "10" },
} as const;

export interface FleetOptions {
  policies: number;
  hosts: number;
  /** agent processes the hosts are spread over */
  pools: number;
  controllerWorkers: number;
  /** CPU niceness of the agent processes: in a fleet each agent runs on its own host */
  agentNice: number;
  /** NODE_OPTIONS of the controller, given the directory for node --cpu-prof / --heap-prof output */
  controllerNodeOptions(profileDir: string): string;
  /** keep the working directory (controller and agent pool logs) */
  keep: boolean;
  say(line: string): void;
}

export interface Fleet {
  plane: ControlPlane;
  controller: ControllerProcess;
  agentPids: number[];
  kubeConfig: KubeConfig;
  /** where node --cpu-prof / --heap-prof output goes */
  profileDir: string;
  /** the benchmark's policies: policy i goes to host i mod H, domain vm-<i div H> (consecutive creates hit different hosts) */
  policies: BenchPolicy[];
  stop(): Promise<void>;
}

const hostId = (i: number) => `bench-${String(i).padStart(4, "0")}`;

/** etcd already lives on tmpfs; the agents' fsynced state should too. */
export function scratchDir(prefix: string): string {
  try {
    return mkdtempSync(join("/dev/shm", prefix));
  } catch {
    return mkdtempSync(join(tmpdir(), prefix));
  }
}

/** Calls `f` at most every 2 s (progress that arrives in bursts). */
export function throttled<T>(f: (value: T) => void): (value: T) => void {
  let last = 0;
  return (value) => {
    if (performance.now() - last < 2_000) return;
    last = performance.now();
    f(value);
  };
}

export async function waitForLeader(controller: ControllerProcess): Promise<void> {
  while (!(await controller.isLeader())) await sleep(100);
}

/** The controller's count of status writes of one kind (domain, host, pool, rollout). */
export async function controllerStatusWrites(metricsUrl: string, kind: string): Promise<number> {
  return statusWritesIn(await (await fetch(`${metricsUrl}/metrics`)).text(), kind);
}

function statusWritesIn(text: string, kind: string): number {
  return Number(new RegExp(`^cpuid_status_writes_total\\{kind="${kind}"\\} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
}

/**
 * Until the controller has written at least `hostWrites` host statuses and has
 * nothing queued for three polls in a row (e.g. the start-up sweeps done).
 */
export async function waitForIdleController(metricsUrl: string, hostWrites = 0): Promise<void> {
  let idlePolls = 0;
  while (idlePolls < 3) {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    const depth = Number(/^cpuid_workqueue_depth (\S+)$/m.exec(text)?.[1] ?? NaN);
    idlePolls = statusWritesIn(text, "host") >= hostWrites && depth === 0 ? idlePolls + 1 : 0;
    await sleep(500);
  }
}

/** Starts the fleet with the controller leading and idle; the caller creates the policies. */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const binaries = await ensureControlPlaneBinaries();
  const ids = Array.from({ length: o.hosts }, (_, i) => hostId(i));
  const plane = await ControlPlane.start({ hosts: ids, binaries, keep: false });
  const info = plane.info();
  o.say(`control plane ready (${info.apiserverUrl}, ${info.natsUrl})`);
  const work = scratchDir("cpuid-fleet-bench-");
  let controller: ControllerProcess | undefined;
  let pools: Awaited<ReturnType<typeof startAgentPools>> | undefined;
  const stop = async () => {
    await controller?.stop();
    await pools?.stop();
    await plane.stop();
    if (o.keep) console.log(`kept ${work} (controller.log, pool logs)`);
    else rmSync(work, { recursive: true, force: true });
  };
  try {
    pools = await startAgentPools({
      natsUrl: info.natsUrl,
      credsDir: info.credsDir,
      stateRoot: join(work, "agents"),
      hosts: ids.map((id, i) => ({ hostId: id, profile: profilePath(DEMO_HOSTS[i % DEMO_HOSTS.length].id) })),
      domainsPerHost: Math.ceil(o.policies / o.hosts),
      domainPrefix: "vm-",
      heartbeatSeconds: 15,
      startConcurrency: 8,
      niceness: o.agentNice,
      pools: o.pools,
      dir: work,
      onProgress: throttled((n) => o.say(`agents started: ${n}/${o.hosts}`)),
    });
    o.say(`${o.hosts} agents ready in ${o.pools} processes after ${pools.startupSeconds.toFixed(1)} s (domains created paused)`);

    const kube = new DemoKube(info.kubeconfig);
    await Promise.all([kube.ensureNamespace(LEASE_NAMESPACE), kube.ensureNamespace(NAMESPACE)]);
    const profileDir = join(work, "profile");
    mkdirSync(profileDir);
    controller = await ControllerProcess.start({
      plane: info,
      logFile: join(work, "controller.log"),
      args: [`--workers=${o.controllerWorkers}`, "--log-level=warn"],
      env: { NODE_OPTIONS: o.controllerNodeOptions(profileDir) },
    });
    await waitForLeader(controller);
    o.say(`controller ready and leading (pid ${controller.pid}, ${o.controllerWorkers} workers)`);
    // in a fleet, hosts are up long before policies come
    await waitForIdleController(controller.metricsUrl, o.hosts);
    o.say(`all ${o.hosts} hosts mirrored as HostCpuidPolicies; controller idle`);
    const policies = Array.from({ length: o.policies }, (_, i) => {
      const host = hostId(i % o.hosts);
      const domain = `vm-${Math.floor(i / o.hosts)}`;
      return { name: `${host}-${domain}`, host, domain };
    });
    return { plane, controller, agentPids: pools.pids, kubeConfig: loadKubeConfig(info.kubeconfig), profileDir, policies, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
