// cpuid-fleet-agent (bin/cpuid-fleet-agent) as its own process for one host,
// with the host's own NATS identity: what the demo, the benchmarks and the
// tests run. The demo's hosts use the `file` probe on a CPU profile and the
// sim backend; tests pass other probes through `args`.

import { join } from "node:path";
import { freePorts } from "../plane/ports.ts";
import { REPO_ROOT } from "../repo-root.ts";
import { DaemonProcess } from "./daemon-process.ts";

export const AGENT_BIN = join(REPO_ROOT, "bin", "cpuid-fleet-agent");

export interface AgentLaunch {
  hostId: string;
  natsUrl: string;
  seedFile: string;
  stateDir: string;
  logFile: string;
  /** a CPUID dump or `xen-cpuid -p` output for the `file` probe; unset = the probe `args` choose */
  profile?: string;
  /** more flags, e.g. ["--heartbeat-interval", "1"] */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

export class AgentProcess extends DaemonProcess {
  readonly hostId: string;
  readonly stateDir: string;

  private constructor(launch: AgentLaunch, metricsPort: number) {
    super({
      name: `cpuid-fleet-agent ${launch.hostId}`,
      command: AGENT_BIN,
      args: [
        "--host-id", launch.hostId,
        "--nats-url", launch.natsUrl,
        "--nats-seed-file", launch.seedFile,
        "--state-dir", launch.stateDir,
        "--metrics-listen", `127.0.0.1:${metricsPort}`,
        ...(launch.profile ? ["--probe", "file", "--probe-file", launch.profile, "--backend", "sim"] : []),
        ...(launch.args ?? []),
      ],
      logFile: launch.logFile,
      metricsPort,
      ...(launch.env ? { env: launch.env } : {}),
    });
    this.hostId = launch.hostId;
    this.stateDir = launch.stateDir;
  }

  /** Starts the agent and waits until it is ready (probed, published, serving requests). */
  static async start(launch: AgentLaunch): Promise<AgentProcess> {
    const [port] = await freePorts(1);
    const agent = new AgentProcess(launch, port);
    await agent.waitReady(launch.readyTimeoutMs);
    return agent;
  }
}
