// Brings the demo fleet up: the local control plane (CRDs installed, the
// cpuid-hosts bucket created), cpuid-fleet-controller, and one agent process
// per demo host with its domains created.

import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { simAdmin } from "../../cli/sim-admin-client.ts";
import { ControlPlane } from "../../devenv/plane/control-plane.ts";
import { AgentProcess } from "../../devenv/daemons/agent.ts";
import { ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import { ensureControlPlaneBinaries } from "../../devenv/toolchain/ensure.ts";
import { DEMO_HOSTS, profilePath, type DemoHost } from "./hosts.ts";
import { DemoKube } from "./kube.ts";
import { type DemoPaths, hostStateDir } from "./paths.ts";
import type { Progress } from "./progress.ts";

/** Short enough that stopping and starting a domain shows its staged policy becoming active within seconds. */
const CONTROLLER_FLAGS = ["--staged-refresh=5"];
const CONTROLLER_IDENTITY = "demo-controller";
const AGENT_FLAGS = ["--heartbeat-interval", "5"];

export interface DemoFleet {
  plane: ControlPlane;
  controller: ControllerProcess;
  agents: AgentProcess[];
  kube: DemoKube;
  /** controller and agent processes by name (for --stop after a crash) */
  pids(): Record<string, number>;
  /**
   * The controller first (it releases its Lease and stops its informers while
   * the API is still there), then the agents, then the control plane.
   */
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

  let controller: ControllerProcess | undefined;
  const agents: AgentProcess[] = [];
  const stop = async () => {
    await controller?.stop();
    await Promise.all(agents.map((a) => a.stop()));
    await plane.stop();
  };
  try {
    const kube = new DemoKube(info.kubeconfig);
    await kube.ensureNamespace(LEASE_NAMESPACE);
    progress.step(`starting cpuid-fleet-controller and ${DEMO_HOSTS.length} agents (file probe on examples/profiles/, sim backend)`);
    const controllerStarted = ControllerProcess.start({
      plane: info,
      identity: CONTROLLER_IDENTITY,
      logFile: join(paths.logsDir, "controller.log"),
      args: CONTROLLER_FLAGS,
    }).then((c) => {
      controller = c;
      progress.step(`cpuid-fleet-controller ready (pid ${c.pid}), metrics ${c.metricsUrl}/metrics`);
      return c;
    });
    const agentsStarted = Promise.all(DEMO_HOSTS.map((host) => startHost(plane, host, paths, progress).then((a) => {
      agents.push(a);
      return a;
    })));
    const [started, hosts] = await Promise.all([controllerStarted, agentsStarted]);
    const pids = () => Object.fromEntries([started, ...hosts].filter((d) => d.running).map((d) => [d.name, d.pid]));
    return { plane, controller: started, agents: hosts, kube, pids, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startHost(plane: ControlPlane, host: DemoHost, paths: DemoPaths, progress: Progress): Promise<AgentProcess> {
  const stateDir = hostStateDir(paths, host.id);
  const agent = await AgentProcess.start({
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
