// A daemon (cpuid-fleet-agent, cpuid-fleet-controller) as its own process:
// its own process group and log file (plane/managed-process.ts), ready once
// its /readyz answers 200, stopped by a signal to its group. Every daemon
// still running when this process exits is killed with it.

import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ChildProcess } from "node:child_process";
import { killProcessGroupNow, type ProcessSpec, signalGroup, startProcess } from "../plane/managed-process.ts";
import { httpGet, waitUntilReady } from "../plane/readiness.ts";
import { fleetNodeEnv } from "./node-env.ts";
import { captureDiagnosticReport, reportOnSignalOptions } from "./diagnostic-report.ts";

export interface DaemonSpec extends ProcessSpec {
  /** the port its --metrics-listen serves /metrics, /healthz and /readyz on */
  metricsPort: number;
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<DaemonProcess>();
let exitHookInstalled = false;

export class DaemonProcess {
  readonly name: string;
  readonly pid: number;
  readonly args: readonly string[];
  readonly metricsUrl: string;
  readonly logFile: string;
  readonly exited: Promise<DaemonExit>;
  #exit: DaemonExit | undefined;

  /** Starts the process; `await waitReady()` before using it. */
  constructor(spec: DaemonSpec) {
    const env = fleetNodeEnv(spec.env);
    env.NODE_OPTIONS = [env.NODE_OPTIONS, reportOnSignalOptions(dirname(spec.logFile))].filter(Boolean).join(" ");
    const child: ChildProcess = startProcess({ ...spec, env });
    this.name = spec.name;
    this.pid = child.pid!;
    this.args = spec.args;
    this.metricsUrl = `http://127.0.0.1:${spec.metricsPort}`;
    this.logFile = spec.logFile;
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        running.delete(this);
        resolve(this.#exit);
      }),
    );
    running.add(this);
    installExitHook();
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Waits until /readyz answers 200; throws with the log's tail (and stops it) if it exits or the time runs out. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    try {
      await waitUntilReady({
        what: this.name,
        pid: this.pid,
        logFile: this.logFile,
        timeoutMs,
        probe: async () => {
          const readyz = await httpGet(`${this.metricsUrl}/readyz`);
          if (readyz.status !== 200) throw new Error(`/readyz ${readyz.status}: ${readyz.body.trim()}`);
          return true;
        },
      });
    } catch (err) {
      // still running but not ready: where it waits
      if (this.running && err instanceof Error) err.message += `\n${await captureDiagnosticReport(this.pid, dirname(this.logFile))}`;
      await this.stop("SIGKILL");
      throw err;
    }
  }

  log(): string {
    return readFileSync(this.logFile, "utf8");
  }

  async metrics(): Promise<string> {
    return (await httpGet(`${this.metricsUrl}/metrics`)).body;
  }

  /** `signal` to the process group, SIGKILL after `graceMs`; resolves with how the daemon exited. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<DaemonExit> {
    if (this.#exit) return this.#exit;
    signalGroup(this.pid, signal);
    const kill = setTimeout(() => killProcessGroupNow(this.pid), graceMs);
    const exit = await this.exited;
    clearTimeout(kill);
    killProcessGroupNow(this.pid); // stragglers the daemon left behind
    return exit;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const daemon of running) killProcessGroupNow(daemon.pid);
  });
}
