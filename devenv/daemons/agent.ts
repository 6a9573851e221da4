// cpuid-fleet-agent as its own process for one simulated host: the `file`
// probe on a CPU profile, the sim backend, the host's own NATS identity.

import { join } from "node:path";
import { REPO_ROOT } from "../repo-root.ts";
import { freePorts } from "../plane/ports.ts";
import { httpGet, waitUntilReady } from "../plane/readiness.ts";
import type { ChildGroup } from "./child-group.ts";
import { fleetNodeEnv } from "./node-env.ts";

export const AGENT_BIN = join(REPO_ROOT, "bin", "cpuid-fleet-agent");

export interface AgentLaunch {
  hostId: string;
  natsUrl: string;
  seedFile: string;
  /** CPUID dump or `xen-cpuid -p` output the file probe reads */
  profile: string;
  stateDir: string;
  logFile: string;
  args?: readonly string[];
  readyTimeoutMs?: number;
}

export interface StartedAgent {
  hostId: string;
  pid: number;
  metricsUrl: string;
  stateDir: string;
  logFile: string;
}

export async function startAgentProcess(children: ChildGroup, launch: AgentLaunch): Promise<StartedAgent> {
  const [port] = await freePorts(1);
  const pid = children.start({
    name: `agent ${launch.hostId}`,
    command: AGENT_BIN,
    args: [
      "--host-id", launch.hostId,
      "--nats-url", launch.natsUrl,
      "--nkey-seed-file", launch.seedFile,
      "--probe", "file",
      "--probe-file", launch.profile,
      "--backend", "sim",
      "--state-dir", launch.stateDir,
      "--metrics-listen", `127.0.0.1:${port}`,
      ...(launch.args ?? []),
    ],
    logFile: launch.logFile,
    env: fleetNodeEnv(),
  });
  const metricsUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady({
    what: `cpuid-fleet-agent ${launch.hostId}`,
    pid,
    logFile: launch.logFile,
    timeoutMs: launch.readyTimeoutMs ?? 60_000,
    probe: async () => (await httpGet(`${metricsUrl}/readyz`)).status === 200,
  });
  return { hostId: launch.hostId, pid, metricsUrl, stateDir: launch.stateDir, logFile: launch.logFile };
}
