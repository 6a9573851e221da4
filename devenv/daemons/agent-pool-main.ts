// One process running many agents (the real Agent of agent/agent.ts, one per
// simulated host, each with its own NATS identity and connection, metrics
// endpoint, sim backend and admin socket), for fleets too large for a
// process per host. Started by agent-pool.ts; reports over IPC.
//
//   node devenv/daemons/agent-pool-main.ts <spec.json>

import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { setPriority } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Agent } from "../../agent/agent.ts";
import { loadConfig } from "../../agent/config.ts";
import { simAdmin } from "../../cli/sim-admin-client.ts";
import { hostSeedFile } from "../../shared/nats/credentials-layout.ts";

export interface AgentPoolSpec {
  natsUrl: string;
  credsDir: string;
  stateRoot: string;
  hosts: { hostId: string; profile: string }[];
  /** domains created paused on every host: <prefix>0, <prefix>1, … */
  domainsPerHost: number;
  /** the hosts restart (after a crash): their domains already exist in their state directories */
  restart?: boolean;
  domainPrefix: string;
  heartbeatSeconds: number;
  /** agents started at the same time */
  startConcurrency: number;
  /** CPU niceness of the pool process (0 = as its parent) */
  niceness?: number;
}

export type PoolMessage = { kind: "started"; count: number } | { kind: "ready"; seconds: number };

/** Every thread of this process (Linux niceness is per thread; V8's helper threads already exist). */
function renice(niceness: number): void {
  let threads: string[];
  try {
    threads = readdirSync("/proc/self/task");
  } catch {
    threads = ["0"];
  }
  for (const tid of threads) setPriority(Number(tid), niceness);
}

async function main(spec: AgentPoolSpec): Promise<void> {
  const log = pino({ level: "warn" });
  if (spec.niceness) renice(spec.niceness);
  const started = performance.now();
  const agents: Agent[] = [];
  const queue = [...spec.hosts];
  const startNext = async (): Promise<void> => {
    for (let host = queue.shift(); host; host = queue.shift()) {
      const stateDir = join(spec.stateRoot, host.hostId);
      mkdirSync(stateDir, { recursive: true });
      const config = loadConfig(
        [
          "--host-id", host.hostId,
          "--nats-url", spec.natsUrl,
          "--nats-seed-file", hostSeedFile(spec.credsDir, host.hostId),
          "--probe", "file",
          "--probe-file", host.profile,
          "--backend", "sim",
          "--state-dir", stateDir,
          "--metrics-listen", "127.0.0.1:0",
          "--heartbeat-interval", String(spec.heartbeatSeconds),
          "--log-level", "warn",
        ],
        {},
      );
      agents.push(await Agent.start(config, log.child({ host: host.hostId })));
      if (!spec.restart) for (let d = 0; d < spec.domainsPerHost; d++) await simAdmin(stateDir, "create", `${spec.domainPrefix}${d}`, "hvm");
      send({ kind: "started", count: agents.length });
    }
  };
  await Promise.all(Array.from({ length: spec.startConcurrency }, startNext));
  send({ kind: "ready", seconds: (performance.now() - started) / 1000 });

  const stop = () => void Promise.all(agents.map((a) => a.stop())).then(() => process.exit(0));
  process.once("SIGTERM", stop);
  // the launching process is gone (even killed): do not outlive it
  process.once("disconnect", stop);
}

function send(message: PoolMessage): void {
  process.send?.(message);
}

if (import.meta.main) {
  await main(JSON.parse(readFileSync(process.argv[2], "utf8")) as AgentPoolSpec);
}
