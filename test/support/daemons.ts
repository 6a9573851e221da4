// The daemons as the integration and end-to-end tests run them on the shared
// plane (devenv/daemons/ launches them): a fresh temp state directory and
// log file unless given, and requests to an agent as the controller sends
// them.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { AgentProcess, type AgentLaunch } from "../../devenv/daemons/agent.ts";
import { hostSubject } from "../../shared/nats/subjects.ts";

export type TestAgentLaunch = Omit<AgentLaunch, "stateDir" | "logFile"> & { stateDir?: string };

/** An agent process; its log goes into its state directory. */
export function startAgent(launch: TestAgentLaunch): Promise<AgentProcess> {
  const stateDir = launch.stateDir ?? mkdtempSync(join(tmpdir(), `agent-${launch.hostId}-`));
  return AgentProcess.start({ readyTimeoutMs: 30_000, ...launch, stateDir, logFile: join(stateDir, `agent-${Date.now()}.log`) });
}

/** A request to a host's agent, as the controller sends it; returns the parsed reply. */
export async function requestHost(nc: NatsConnection, hostId: string, op: "set" | "get" | "domains", body: unknown, timeout = 10_000): Promise<any> {
  const payload = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const msg = await nc.request(hostSubject(hostId, op), payload, { timeout });
  return msg.json();
}
