// The long-running processes a local fleet starts (controller, agents, agent
// pools): each in its own process group with its own log file (the harness's
// managed processes), stopped together, and killed outright if this process
// exits without stopping them.

import { killProcessGroupNow, type ProcessSpec, startProcess, stopProcess } from "../plane/managed-process.ts";

const groups = new Set<ChildGroup>();
let exitHookInstalled = false;

export class ChildGroup {
  readonly #pids = new Map<string, number>();

  constructor() {
    groups.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on("exit", () => {
        for (const group of groups) group.killNow();
      });
    }
  }

  start(spec: ProcessSpec): number {
    if (this.#pids.has(spec.name)) throw new Error(`${spec.name} is already started`);
    const pid = startProcess(spec);
    this.#pids.set(spec.name, pid);
    return pid;
  }

  /** name → pid of every process started and not yet stopped */
  pids(): Record<string, number> {
    return Object.fromEntries(this.#pids);
  }

  /** SIGTERM to all at once (each drains), SIGKILL to those still running after `graceMs`. */
  async stopAll(graceMs = 10_000): Promise<void> {
    const pids = [...this.#pids.values()];
    this.#pids.clear();
    await Promise.all(pids.map((pid) => stopProcess(pid, graceMs)));
  }

  killNow(): void {
    for (const pid of this.#pids.values()) killProcessGroupNow(pid);
    this.#pids.clear();
  }
}
