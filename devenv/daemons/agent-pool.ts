// Starts agent-pool-main.ts processes, each running a share of a large
// simulated fleet, and waits until every agent in them is ready.

import { fork, type ChildProcess } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentPoolSpec, PoolMessage } from "./agent-pool-main.ts";
import { fleetNodeEnv } from "./node-env.ts";

export interface AgentPoolsLaunch extends Omit<AgentPoolSpec, "hosts"> {
  hosts: AgentPoolSpec["hosts"];
  pools: number;
  /** where each pool's spec and log go */
  dir: string;
  onProgress?: (started: number) => void;
}

export interface RunningPools {
  pids: number[];
  startupSeconds: number;
  stop(): Promise<void>;
}

const POOL_MAIN = join(import.meta.dirname, "agent-pool-main.ts");

export async function startAgentPools(launch: AgentPoolsLaunch): Promise<RunningPools> {
  const { pools, dir, onProgress, hosts, ...common } = launch;
  const per = Math.ceil(hosts.length / pools);
  const started = performance.now();
  const counts = new Array<number>(pools).fill(0);
  const children: ChildProcess[] = [];
  const ready = Array.from({ length: pools }, (_, i) => {
    const specFile = join(dir, `pool-${i}.json`);
    const spec: AgentPoolSpec = { ...common, hosts: hosts.slice(i * per, (i + 1) * per) };
    writeFileSync(specFile, JSON.stringify(spec));
    const log = openSync(join(dir, `pool-${i}.log`), "a");
    const child = fork(POOL_MAIN, [specFile], { stdio: ["ignore", log, log, "ipc"], env: fleetNodeEnv() });
    closeSync(log);
    children.push(child);
    return new Promise<void>((resolve, reject) => {
      child.on("message", (m: PoolMessage) => {
        if (m.kind === "started") {
          counts[i] = m.count;
          onProgress?.(counts.reduce((a, b) => a + b, 0));
        } else resolve();
      });
      child.once("exit", (code) => reject(new Error(`agent pool ${i} exited (${code}) before it was ready; log ${join(dir, `pool-${i}.log`)}`)));
    });
  });
  const stop = async () => {
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(running.map((c) => new Promise((r) => c.once("exit", r).kill("SIGTERM"))));
  };
  try {
    await Promise.all(ready);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pids: children.map((c) => c.pid!), startupSeconds: (performance.now() - started) / 1000, stop };
}
