// Agent benchmarks against a real nats-server (own loopback instance with the
// fleet's nkey authorization, as `cpuidctl nats config` writes it):
//   1. RSS of an idle agent process (goal <= 80 MB)
//   2. `set` round trip p50/p99 on loopback, controller → agent → reply (goal p99 <= 10 ms)
//   3. staged → Active: from `sim start` of a domain with a staged policy to
//      the controller's side seeing it Active, (a) through the agent's domain
//      event (subscription + `get`, as the controller does now) and (b) by a
//      `get` at the staged-refresh period, as the controller did before
//   4. N simulated agents (default 1000, in a few worker processes), each with
//      its own identity, KV put of its HostPolicies, request subscriptions and
//      heartbeats: CPU of nats-server and of the agents
//
//   node_modules/.bin/node bench/agent.ts [--agents 1000] [--workers 4] [--heartbeat-ms 1000] [--window-s 20]
//     [--starts 30] [--refresh-starts 3] [--staged-refresh-s 60]

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import pino from "pino";
import { SimBackend } from "../agent/backends/sim.ts";
import { simAdmin } from "../cli/sim-admin-client.ts";
import { buildHostPolicies } from "../agent/host-policies.ts";
import { createAgentMetrics } from "../agent/metrics.ts";
import { FileProbe } from "../agent/probes/file.ts";
import { Publisher } from "../agent/publisher.ts";
import { RequestServer } from "../agent/request-server.ts";
import { auditPolicy } from "../shared/audit/audit.ts";
import { findingToJson } from "../shared/audit/finding.ts";
import { hostSeedFile } from "../shared/nats/credentials-layout.ts";
import { HOSTS_BUCKET, domainEventSubject, hostSubject } from "../shared/nats/subjects.ts";
import type { DomainEvent } from "../shared/schemas/agent-messages.ts";
import { policyHash } from "../shared/policy/canonical.ts";
import { copyPolicy } from "../shared/policy/cpu-policy.ts";
import { serialisePolicy } from "../shared/policy/serialise.ts";
import { policyToJson } from "../shared/policy/policy-json.ts";
import { ensureBinaries } from "../devenv/toolchain/ensure.ts";
import { AgentProcess } from "../devenv/daemons/agent.ts";
import { REPO_ROOT } from "../devenv/repo-root.ts";
import { connectAs } from "../runtime/nats/connect.ts";
import { createHostsBucket, openHostsBucket } from "../runtime/nats/hosts-bucket.ts";
import { freePorts } from "../devenv/plane/ports.ts";
import { cpuSeconds, percentile, rssMb } from "./fleet/process-stats.ts";
import { machine } from "./support/machine.ts";

const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const PROBE_FILE = join(REPO_ROOT, "..", "shared", "fixtures", "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt");
const RSS_GOAL_MB = 80;
const P99_GOAL_MS = 10;

const hostName = (i: number) => `sim-${String(i).padStart(4, "0")}`;

/** RSS split into the node executable's shared text pages and the process's own memory. */
function memoryBreakdown(pid: number): string {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? NaN);
  const mb = (k: number) => `${(k / 1024).toFixed(1)} MB`;
  return `PSS ${mb(kb("Pss"))}, private ${mb(kb("Private_Clean") + kb("Private_Dirty"))}, shared file-backed (node binary text) ${mb(kb("Shared_Clean"))}`;
}

interface Server {
  url: string;
  credsDir: string;
  process: ChildProcess;
  dir: string;
}

async function startServer(hosts: number): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "bench-agent-"));
  const credsDir = join(dir, "creds");
  const ids = Array.from({ length: hosts }, (_, i) => hostName(i));
  execFileSync(NODE, [join(REPO_ROOT, "cli", "cpuidctl.ts"), "nats", "config", "--out", credsDir, "--hosts", ...ids]);
  const [port] = await freePorts(1);
  const conf = join(credsDir, "nats-server.conf");
  writeFileSync(conf, `listen: "127.0.0.1:${port}"\nmax_connections: ${hosts + 100}\njetstream { store_dir: ${JSON.stringify(join(dir, "js"))} }\ninclude "authorization.conf"\n`);
  const { "nats-server": natsServer } = await ensureBinaries(["nats-server"]);
  const proc = spawn(natsServer.path, ["-c", conf], { stdio: "ignore" });
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const admin = await connectAs(url, credsDir, "admin");
      await createHostsBucket(admin);
      await admin.close();
      return { url, credsDir, process: proc, dir };
    } catch (e) {
      if (i > 100) throw e;
      await sleep(100);
    }
  }
}

async function idleRss(server: Server): Promise<{ rss: number; breakdown: string; agent: AgentProcess; stateDir: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), "bench-agent-state-"));
  const agent = await AgentProcess.start({
    hostId: hostName(0),
    natsUrl: server.url,
    seedFile: hostSeedFile(server.credsDir, hostName(0)),
    profile: PROBE_FILE,
    stateDir,
    logFile: join(server.dir, "agent.log"),
    args: ["--log-level", "warn"],
  });
  await sleep(10_000);
  return { rss: rssMb(agent.pid), breakdown: memoryBreakdown(agent.pid), agent, stateDir };
}

async function setRoundTrips(server: Server, stateDir: string, n: number): Promise<Record<string, number[]>> {
  const nc = await connectAs(server.url, server.credsDir, "controller");
  const hp = buildHostPolicies(hostName(0), await new FileProbe(PROBE_FILE).run());
  const base = (await new FileProbe(PROBE_FILE).run()).policies.hvm_default;
  const variants = [0, 1].map((v) => {
    const p = copyPolicy(base);
    if (v) p.basic[1].ecx &= ~(1 << 30);
    return { policy: policyToJson(serialisePolicy(p)), policyHash: policyHash(p) };
  });
  execFileSync(NODE, [join(REPO_ROOT, "cli", "cpuidctl.ts"), "sim", "start", "bench-vm", "--state-dir", stateDir], { stdio: "ignore" });
  const times: Record<string, number[]> = { "staged (new policy: audit + fsync)": [], "duplicate (retry: audit only)": [] };
  for (let i = 0; i < n + 100; i++) {
    const dup = i % 2 === 1;
    const v = variants[dup ? (i - 1) / 2 % 2 : (i / 2) % 2];
    const body = JSON.stringify({ hostId: hp.hostId, domain: "bench-vm", guestType: "hvm", ...v, requestId: `b${i}`, generation: i });
    const t0 = performance.now();
    const reply = (await nc.request(hostSubject(hp.hostId, "set"), body, { timeout: 5000 })).json<{ ok: boolean; result: string }>();
    const ms = performance.now() - t0;
    if (!reply.ok || reply.result === "rejected") throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
    if (i >= 100) times[dup ? "duplicate (retry: audit only)" : "staged (new policy: audit + fsync)"].push(ms);
  }
  await nc.close();
  return times;
}

/**
 * Latency from `sim start` of a domain with a staged policy to a controller
 * connection seeing that policy active. `pollMs` undefined: the controller
 * learns of the start from the agent's domain event; otherwise it asks at its
 * staged-refresh period, whose phase against the start is arbitrary.
 */
async function startToActive(server: Server, stateDir: string, runs: number, pollMs?: number): Promise<number[]> {
  const hostId = hostName(0);
  const domain = "bench-restart";
  const nc = await connectAs(server.url, server.credsDir, "controller");
  const base = (await new FileProbe(PROBE_FILE).run()).policies.hvm_default;
  const variants = [0, 1].map((v) => {
    const p = copyPolicy(base);
    if (v) p.basic[1].ecx &= ~(1 << 30);
    return { policy: policyToJson(serialisePolicy(p)), policyHash: policyHash(p) };
  });
  const get = async () => (await nc.request(hostSubject(hostId, "get"), JSON.stringify({ hostId, domain }), { timeout: 5000 })).json<{ domain: { activeHash?: string } }>().domain;
  let onStarted: (() => void) | undefined;
  const events = nc.subscribe(domainEventSubject(hostId), {
    callback: (_err, m) => {
      const ev = m.json<DomainEvent>();
      if (ev.domain === domain && ev.state === "running") onStarted?.();
    },
  });
  await simAdmin(stateDir, "start", domain, "hvm");
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const v = variants[(i + 1) % 2];
    const body = JSON.stringify({ hostId, domain, guestType: "hvm", ...v, requestId: `start-${i}`, generation: i });
    const reply = (await nc.request(hostSubject(hostId, "set"), body, { timeout: 5000 })).json<{ result: string }>();
    if (reply.result !== "staged") throw new Error(`expected the policy staged, got ${JSON.stringify(reply)}`);
    await simAdmin(stateDir, "stop", domain);
    const phase = pollMs === undefined ? 0 : Math.random() * pollMs;
    const seen = new Promise<void>((resolve) => (onStarted = resolve));
    const t0 = performance.now();
    await simAdmin(stateDir, "start", domain);
    if (pollMs === undefined) await seen;
    else await sleep(phase);
    while ((await get()).activeHash !== v.policyHash) await sleep(pollMs ?? 0);
    times.push(performance.now() - t0);
  }
  events.unsubscribe();
  await nc.close();
  return times;
}

/** Worker mode: run agents [from, to) in this process until SIGTERM. */
async function worker(url: string, credsDir: string, from: number, to: number, heartbeatMs: number): Promise<void> {
  const log = pino({ level: "silent" });
  const result = await new FileProbe(PROBE_FILE).run();
  const stateRoot = mkdtempSync(join(tmpdir(), "bench-workers-"));
  const running: Array<{ nc: NatsConnection; publisher: Publisher; hostId: string }> = [];
  const maxes = { hvm: result.policies.hvm_max, pv: result.policies.pv_max };
  // One registry per worker: a real host runs one agent, so per-agent process metrics would only add noise.
  const metrics = createAgentMetrics(`worker-${from}`);
  for (let i = from; i < to; i++) {
    const hostId = hostName(i);
    const nc = await connectAs(url, credsDir, { host: hostId });
    const backend = new SimBackend(join(stateRoot, hostId), () => ({ hash: "", policy: { leaves: [], msrs: [] } }));
    const requests = new RequestServer(
      {
        hostId,
        backend,
        guestMax: (g) => ({ policy: maxes[g], hash: "" }),
        audit: (req, max, guest) => auditPolicy(req, max, { guest }).map(findingToJson),
      },
      metrics,
      log,
    );
    requests.listen(nc);
    const publisher = new Publisher(nc, hostId, metrics, log);
    await publisher.publish(buildHostPolicies(hostId, result));
    running.push({ nc, publisher, hostId });
  }
  process.send?.("ready");
  const beat = setInterval(() => {
    const at = new Date().toISOString();
    for (const a of running) a.publisher.heartbeat({ hostId: a.hostId, digest: "bench", at, domains: 0 });
  }, heartbeatMs);
  process.once("SIGTERM", () => {
    clearInterval(beat);
    void Promise.all(running.map((a) => a.nc.close())).then(() => {
      rmSync(stateRoot, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

async function fleet(server: Server, agents: number, workers: number, heartbeatMs: number, windowS: number): Promise<void> {
  const per = Math.ceil(agents / workers);
  const t0 = performance.now();
  const children = Array.from({ length: workers }, (_, w) =>
    spawn(NODE, [import.meta.filename, "--worker", server.url, server.credsDir, String(w * per), String(Math.min(agents, (w + 1) * per)), String(heartbeatMs)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  await Promise.all(children.map((c) => new Promise<void>((resolve, reject) => {
    c.once("message", () => resolve());
    c.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
  })));
  const startupS = (performance.now() - t0) / 1000;

  const controller = await connectAs(server.url, server.credsDir, "controller");
  const kv = await openHostsBucket(controller);
  let keys = 0;
  for await (const _ of await kv.keys()) keys++;
  let beats = 0;
  const sub = controller.subscribe("cpuid.v1.host.*.heartbeat", { callback: () => void beats++ });

  await sleep(2000);
  beats = 0;
  const serverPid = server.process.pid!;
  const pids = children.map((c) => c.pid!);
  const before = { server: cpuSeconds(serverPid), agents: pids.map(cpuSeconds) };
  const w0 = performance.now();
  await sleep(windowS * 1000);
  const wallS = (performance.now() - w0) / 1000;
  const serverCpu = (cpuSeconds(serverPid) - before.server) / wallS;
  const agentCpu = pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - before.agents[i], 0) / wallS;
  const workerRss = pids.map(rssMb);
  const serverRss = rssMb(serverPid);
  sub.unsubscribe();
  await controller.close();
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => new Promise((r) => c.once("exit", r))));

  console.log(`\n${agents} simulated agents in ${workers} processes (own nkey identity and connection each), heartbeat every ${heartbeatMs} ms`);
  console.log(`  connect + first KV publish of all: ${startupS.toFixed(1)} s; keys in ${HOSTS_BUCKET}: ${keys}`);
  console.log(`  heartbeats received by a controller subscription: ${(beats / wallS).toFixed(0)}/s (expected ${(agents * 1000 / heartbeatMs).toFixed(0)}/s)`);
  console.log(`  steady state over ${wallS.toFixed(0)} s: nats-server CPU ${(serverCpu * 100).toFixed(1)} % of a core, RSS ${serverRss.toFixed(0)} MB`);
  console.log(`  agents CPU ${(agentCpu * 100).toFixed(1)} % of a core in total (${((agentCpu * 100) / agents).toFixed(3)} % per agent), RSS ${workerRss.map((r) => r.toFixed(0)).join(" + ")} MB`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      agents: { type: "string", default: "1000" },
      workers: { type: "string", default: "4" },
      "heartbeat-ms": { type: "string", default: "1000" },
      "window-s": { type: "string", default: "20" },
      "set-requests": { type: "string", default: "2000" },
      starts: { type: "string", default: "30" },
      "refresh-starts": { type: "string", default: "3" },
      "staged-refresh-s": { type: "string", default: "60" },
    },
  });
  const agents = Number(values.agents);
  console.log(`agent benchmarks, ${machine()}`);
  const server = await startServer(Math.max(agents, 1));
  try {
    const idle = await idleRss(server);
    console.log(`\nidle agent RSS (file probe, sim backend, 10 s after ready): ${idle.rss.toFixed(1)} MB; goal <= ${RSS_GOAL_MB} MB: ${idle.rss <= RSS_GOAL_MB ? "met" : "MISSED"}`);
    console.log(`  ${idle.breakdown}`);

    const times = await setRoundTrips(server, idle.stateDir, Number(values["set-requests"]));
    console.log(`\nset round trip on loopback (controller request → agent → reply), ${values["set-requests"]} requests after 100 warm-up:`);
    for (const [kind, ms] of Object.entries(times)) {
      const sorted = ms.sort((a, b) => a - b);
      const p99 = percentile(sorted, 99);
      console.log(`  ${kind.padEnd(36)} n=${sorted.length} p50 ${percentile(sorted, 50).toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  max ${sorted[sorted.length - 1].toFixed(2)} ms; goal p99 <= ${P99_GOAL_MS} ms: ${p99 <= P99_GOAL_MS ? "met" : "MISSED"}`);
    }
    console.log(`  agent RSS after the requests: ${rssMb(idle.agent.pid).toFixed(1)} MB`);

    const refreshMs = Number(values["staged-refresh-s"]) * 1000;
    console.log("\nsim start of a domain with a staged policy → a controller connection sees it active:");
    for (const [how, pollMs, runs] of [
      ["domain event + get (now)", undefined, Number(values.starts)],
      [`get every ${refreshMs / 1000} s staged refresh (before)`, refreshMs, Number(values["refresh-starts"])],
    ] as const) {
      const sorted = (await startToActive(server, idle.stateDir, runs, pollMs)).sort((a, b) => a - b);
      const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(1)} ms`);
      console.log(`  ${how.padEnd(40)} n=${sorted.length} p50 ${ms(percentile(sorted, 50))}  max ${ms(sorted[sorted.length - 1])}`);
    }
    await idle.agent.stop();
    rmSync(idle.stateDir, { recursive: true, force: true });

    await fleet(server, agents, Number(values.workers), Number(values["heartbeat-ms"]), Number(values["window-s"]));
  } finally {
    server.process.kill("SIGTERM");
    await new Promise((r) => server.process.once("exit", r));
    rmSync(server.dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--worker") {
  const [url, credsDir, from, to, hb] = process.argv.slice(3);
  await worker(url, credsDir, Number(from), Number(to), Number(hb));
} else {
  await main();
}
