// Runs cpuid-fleet-agent as its own process (bin/cpuid-fleet-agent) against
// the plane's nats-server, the way it runs on a host, and talks to it as
// the controller does.

import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import { hostSubject } from "../../../shared/nats/subjects.ts";
import { freePorts } from "../../../devenv/plane/ports.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

export const AGENT_BIN = join(REPO_ROOT, "bin", "cpuid-fleet-agent");

export interface AgentOptions {
  hostId: string;
  natsUrl: string;
  seedFile: string;
  stateDir?: string;
  /** extra flags, e.g. ["--probe", "file", "--probe-file", path] */
  args?: string[];
  env?: Record<string, string>;
}

export class AgentProcess {
  readonly child: ChildProcess;
  readonly stateDir: string;
  readonly metricsPort: number;
  readonly logFile: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcess, stateDir: string, metricsPort: number, logFile: string) {
    this.child = child;
    this.stateDir = stateDir;
    this.metricsPort = metricsPort;
    this.logFile = logFile;
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  static async start(o: AgentOptions): Promise<AgentProcess> {
    const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), `agent-${o.hostId}-`));
    const [port] = await freePorts(1);
    const logFile = join(stateDir, `agent-${Date.now()}.log`);
    const child = spawn(
      AGENT_BIN,
      [
        "--host-id", o.hostId,
        "--nats-url", o.natsUrl,
        "--nkey-seed-file", o.seedFile,
        "--state-dir", stateDir,
        "--metrics-listen", `127.0.0.1:${port}`,
        ...(o.args ?? []),
      ],
      { env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const log = createWriteStream(logFile);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const agent = new AgentProcess(child, stateDir, port, logFile);
    await agent.waitReady();
    return agent;
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) throw new Error(`agent exited before it was ready; log ${this.logFile}`);
      const r = await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`).catch(() => undefined);
      if (r?.status === 200) return;
      await sleep(100);
    }
    throw new Error(`agent not ready after ${timeoutMs} ms; log ${this.logFile}`);
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** A request to a host's agent, as the controller sends it; returns the parsed reply. */
export async function requestHost(nc: NatsConnection, hostId: string, op: "set" | "get" | "domains", body: unknown, timeout = 10_000): Promise<any> {
  const payload = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const msg = await nc.request(hostSubject(hostId, op), payload, { timeout });
  return msg.json();
}
