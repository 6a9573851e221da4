// Brings the demo fleet up: the local control plane (CRDs installed, the
// cpuid-hosts bucket created), cpuid-fleet-controller, and one agent process
// per demo host with its domains created.

import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { simAdmin } from "../../agent/sim-admin.ts";
import { ControlPlane } from "../../test/harness/control-plane.ts";
import { ChildGroup } from "../fleet/child-group.ts";
import { LEASE_NAMESPACE, startControllerProcess, type StartedController } from "../fleet/controller-process.ts";
import { startAgentProcess, type StartedAgent } from "../fleet/agent-process.ts";
import { ensureControlPlaneBinaries } from "../toolchain/ensure.ts";
import { DEMO_HOSTS, profilePath, type DemoHost } from "./hosts.ts";
import { DemoKube } from "./kube.ts";
import { type DemoPaths, hostStateDir } from "./paths.ts";
import type { Progress } from "./progress.ts";

/** Short enough that stopping and starting a domain shows its staged policy becoming active within seconds. */
const CONTROLLER_FLAGS = ["--staged-refresh=5", "--identity=demo-controller"];
const AGENT_FLAGS = ["--heartbeat-interval", "5"];

export interface DemoFleet {
  plane: ControlPlane;
  controller: StartedController;
  agents: StartedAgent[];
  kube: DemoKube;
  /** every process still running, by name (for --stop after a crash) */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startDemoFleet(paths: DemoPaths, progress: Progress): Promise<DemoFleet> {
  const binaries = await ensureControlPlaneBinaries({ log: (line) => progress.detail(line) });
  rmSync(paths.dir, { recursive: true, force: true });
  mkdirSync(paths.logsDir, { recursive: true });
  progress.step("starting the control plane: etcd, kube-apiserver, nats-server (JetStream)");
  const plane = await ControlPlane.start({ dir: paths.planeDir, hosts: DEMO_HOSTS.map((h) => h.id), binaries, keep: false });
  const info = plane.info();
  progress.step(`control plane ready: kube-apiserver ${info.apiserverUrl}, nats-server ${info.natsUrl}; CRDs installed`);

  const children = new ChildGroup();
  const stop = async () => {
    await children.stopAll();
    await plane.stop();
  };
  try {
    const kube = new DemoKube(info.kubeconfig);
    await kube.ensureNamespace(LEASE_NAMESPACE);
    progress.step(`starting cpuid-fleet-controller and ${DEMO_HOSTS.length} agents (file probe on examples/profiles/, sim backend)`);
    const controllerStarted = startControllerProcess(children, {
      plane: info,
      logFile: join(paths.logsDir, "controller.log"),
      args: CONTROLLER_FLAGS,
    }).then((c) => {
      progress.step(`cpuid-fleet-controller ready (pid ${c.pid}), metrics ${c.metricsUrl}/metrics`);
      return c;
    });
    const agentsStarted = Promise.all(DEMO_HOSTS.map((host) => startHost(plane, host, paths, children, progress)));
    const [controller, agents] = await Promise.all([controllerStarted, agentsStarted]);
    return { plane, controller, agents, kube, pids: () => children.pids(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startHost(plane: ControlPlane, host: DemoHost, paths: DemoPaths, children: ChildGroup, progress: Progress): Promise<StartedAgent> {
  const stateDir = hostStateDir(paths, host.id);
  const agent = await startAgentProcess(children, {
    hostId: host.id,
    natsUrl: plane.info().natsUrl,
    seedFile: plane.hostSeedFile(host.id),
    profile: profilePath(host.id),
    stateDir,
    logFile: join(paths.logsDir, `agent-${host.id}.log`),
    args: AGENT_FLAGS,
  });
  for (const d of host.domains) await simAdmin(stateDir, d.state === "running" ? "start" : "create", d.name, d.guestType);
  const domains = host.domains.map((d) => `${d.name} (${d.guestType}, ${d.state === "running" ? "running" : "paused"})`).join(", ");
  progress.step(`${host.id}: agent ready, ${host.cpu}; domains ${domains}`);
  return agent;
}
