// Chaos under load: N DomainCpuidPolicies created at a steady pace over H
// simulated hosts (real agents in agent-pool processes) with two controller
// replicas and a 3-node NATS JetStream cluster, while at set times the
// leading controller is killed (-9, and a replacement replica started), the
// kube-apiserver restarts, a NATS node is killed (-9) and restarted, and 10 %
// of the hosts are killed (-9) and restarted. The hosts killed run in their
// own pool process, so kill -9 takes exactly them and nothing else. With
// wire faults instead (./wire.ts), everything talks through toxiproxy, which
// slows the paths down and drops, resets and stalls connections; NATS is one
// server unless a node is to be killed. Optionally a share of the policies is
// changed and another deleted while the faults go on. Then it waits for
// convergence and judges what the hosts really did (host-records.ts). Used by
// bench/chaos.ts (10,000 / 1,000; --wire 400 / 40) and test/e2e/chaos.test.ts
// (500 / 50).

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import { startAgentPools, type RunningPools } from "../../devenv/daemons/agent-pool.ts";
import type { PlaneInfo } from "../../devenv/plane/control-plane.ts";
import { LocalNats } from "../../devenv/plane/nats-servers.ts";
import { loadKubeConfig } from "../../controller/kube/kube-config.ts";
import { DEMO_HOSTS, profilePath } from "../../scripts/demo/hosts.ts";
import { DemoKube } from "../../scripts/demo/kube.ts";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { forEachBounded, PolicyClient, type BenchPolicy } from "../fleet/policies.ts";
import { PolicyWatch } from "../fleet/policy-watch.ts";
import { type DeletedPolicy, type DesiredPolicy, judge, readHostRecord, type Verdict } from "./host-records.ts";
import { WirePaths } from "./wire.ts";

export type FaultName = "leader-kill" | "apiserver-restart" | "nats-node-kill" | "agent-kill" | "wire-slow" | "wire-drop";

export interface ChaosOptions {
  plane: PlaneInfo;
  restartApiserver(): Promise<void>;
  namespace: string;
  hostPrefix: string;
  policies: number;
  hosts: number;
  /** agent-pool processes for the hosts that are not killed */
  pools: number;
  /** share of the hosts killed with -9 and restarted */
  killShare: number;
  /** seconds from the first create at which each fault starts; only these faults happen */
  faultAt: Partial<Record<FaultName, number>>;
  /** everything talks through toxiproxy; each wire fault lasts `seconds` */
  wire?: { toxiproxyBinary: string; seconds: number };
  /** at `at` seconds (or once the creates are done, if later) that share of the policies is changed, and another deleted */
  edits?: { at: number; changeShare: number; deleteShare: number };
  /** how long the NATS node stays down */
  natsDownSeconds: number;
  /** the creates are spread evenly over this many seconds */
  createSeconds: number;
  controllerWorkers: number;
  /** the controllers' `--request-timeout`: how long a reconcile waits for an agent's reply */
  requestTimeoutSeconds: number;
  agentNice: number;
  heartbeatSeconds: number;
  convergeTimeoutSeconds: number;
  /** working directory: agent state, pool and controller logs, NATS stores */
  dir: string;
  say(line: string): void;
}

export interface FaultRun {
  fault: FaultName;
  startedS: number;
  doneS: number;
  detail: string;
}

export interface ChaosResult {
  faults: FaultRun[];
  createsDoneS: number;
  /** when the changes and deletes were done, if any */
  editsDoneS: number | undefined;
  changed: number;
  deleted: number;
  /** seconds from the end of the last fault (or create, change, delete) until every policy was Ready and every host as desired */
  convergenceSeconds: number | undefined;
  /** policies there are at the end, and how many of them are Ready for their generation */
  policies: number;
  ready: number;
  verdict: Verdict;
  /** create, change and delete calls that failed (apiserver down) and were retried */
  apiRetries: number;
}

/** Lease timings a few seconds long, so a killed leader is replaced within the run. */
const CONTROLLER_FLAGS = ["--lease-duration=4", "--renew-deadline=3", "--retry-period=0.5", "--max-backoff=2", "--log-level=warn"];

/**
 * Hundreds of simulated hosts share one pool process's event loop on an
 * oversubscribed machine: after a NATS node kill their reconnections queue
 * behind each other past nats-server's default 2 s for the CONNECT, and the
 * agents (which retry an authentication timeout) keep timing out. A real host
 * runs one agent; the simulation gets the time its shared loop needs.
 */
const AUTH_TIMEOUT_SECONDS = 10;
/** how often convergence is checked by a full list while the watch does not yet show every policy Ready */
const LIST_EVERY_MS = 10_000;

const hostId = (prefix: string, i: number) => `${prefix}${String(i).padStart(4, "0")}`;
const ready = (o: DomainCpuidPolicyObject) =>
  o.status?.observedGeneration === o.metadata.generation && (o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false);

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const ids = Array.from({ length: o.hosts }, (_, i) => hostId(o.hostPrefix, i));
  const killEvery = Math.round(1 / o.killShare);
  const victims = ids.filter((_, i) => i % killEvery === 0);
  const steady = ids.filter((_, i) => i % killEvery !== 0);
  const stateRoot = join(o.dir, "agents");
  const natsServers = o.faultAt["nats-node-kill"] === undefined ? 1 : 3;
  const nats = await LocalNats.start({
    binary: o.plane.binaries["nats-server"],
    servers: natsServers,
    hosts: ids,
    dir: join(o.dir, "nats"),
    authTimeoutSeconds: AUTH_TIMEOUT_SECONDS,
  });
  const controllers: ControllerProcess[] = [];
  const pools: RunningPools[] = [];
  let wire: WirePaths | undefined;
  try {
    await nats.createHostsBucket(natsServers);
    o.say(`${natsServers === 3 ? "3-node NATS cluster" : "nats-server"} up (${nats.url})`);
    if (o.wire) {
      wire = await WirePaths.start({ toxiproxyBinary: o.wire.toxiproxyBinary, natsUrl: nats.url, apiserverUrl: o.plane.apiserverUrl, kubeconfig: o.plane.kubeconfig });
      o.say(`toxiproxy between the agents and NATS (${wire.agentsNatsUrl}), the controllers and NATS (${wire.controllerNatsUrl}) and the controllers and the apiserver`);
    }
    const domainsPerHost = Math.ceil(o.policies / o.hosts);
    let saidStarted = performance.now();
    const launchPools = (hosts: string[], count: number, dir: string, restart = false) => {
      mkdirSync(dir, { recursive: true });
      return startAgentPools({
        onProgress: (started) => {
          if (performance.now() - saidStarted < 10_000) return;
          saidStarted = performance.now();
          o.say(`${started}/${hosts.length} agents started in ${dir}`);
        },
        natsUrl: wire?.agentsNatsUrl ?? nats.url,
        credsDir: nats.credsDir,
        stateRoot,
        hosts: hosts.map((id) => ({ hostId: id, profile: profilePath(DEMO_HOSTS[ids.indexOf(id) % DEMO_HOSTS.length].id) })),
        domainsPerHost,
        domainPrefix: "vm-",
        heartbeatSeconds: o.heartbeatSeconds,
        startConcurrency: 8,
        niceness: o.agentNice,
        pools: count,
        restart,
        dir,
      });
    };
    pools.push(await launchPools(steady, o.pools, join(o.dir, "steady")));
    let victimPool = await launchPools(victims, 1, join(o.dir, "victims"));
    pools.push(victimPool);
    o.say(`${o.hosts} agents ready (${victims.length} of them in their own process${o.faultAt["agent-kill"] === undefined ? "" : ", to be killed"}), ${domainsPerHost} paused domains each`);

    const kube = new DemoKube(o.plane.kubeconfig);
    await Promise.all([kube.ensureNamespace(LEASE_NAMESPACE), kube.ensureNamespace(o.namespace)]);
    const controllerPlane = { ...o.plane, natsUrl: wire?.controllerNatsUrl ?? nats.url, credsDir: nats.credsDir };
    let replicas = 0;
    const startReplica = async () => {
      const identity = `chaos-${String.fromCharCode(97 + replicas++)}`;
      const c = await ControllerProcess.start({
        plane: controllerPlane,
        identity,
        ...(wire ? { kubeconfig: wire.controllerKubeconfig } : {}),
        logFile: join(o.dir, `controller-${identity}.log`),
        args: [...CONTROLLER_FLAGS, `--workers=${o.controllerWorkers}`, `--request-timeout=${o.requestTimeoutSeconds}`, `--hosts-bucket-replicas=${natsServers}`],
        readyTimeoutMs: 120_000,
      });
      controllers.push(c);
      return c;
    };
    await Promise.all([startReplica(), startReplica()]);
    const leader = async () => {
      for (;;) {
        for (const c of controllers.filter((r) => r.running)) if (await c.isLeader().catch(() => false)) return c;
        await sleep(100);
      }
    };
    await leader();
    o.say("two controller replicas up, one leading");

    const policies: BenchPolicy[] = Array.from({ length: o.policies }, (_, i) => {
      const host = ids[i % o.hosts];
      const domain = `vm-${Math.floor(i / o.hosts)}`;
      // unlike the host's default (a policy equal to a domain's current one is not installed again), and two
      // kinds, so that one landing in another domain shows in its hash as well as in its resource uid
      return { name: `${host}-${domain}`, host, domain, disable: i % 2 === 0 ? ["rdrand"] : ["rdrand", "rdseed"] };
    });
    const kubeConfig = loadKubeConfig(o.plane.kubeconfig);
    const client = new PolicyClient(kubeConfig, o.namespace);
    // Ready is followed by a watch; the full check (a list and every host's records) runs once all are Ready
    const watch = new PolicyWatch(kubeConfig, o.namespace, ready);
    await watch.start();
    const gone = new Set<string>();
    const readyNow = () => [...watch.latest.values()].filter((p) => !gone.has(p.metadata.name!) && ready(p)).length;
    const t0 = performance.now();
    const sinceStart = () => (performance.now() - t0) / 1000;
    let apiRetries = 0;
    /** Retried while the apiserver is away; `done` is the HTTP status that says a previous attempt got through. */
    const persist = async <T>(call: () => Promise<T>, done?: number): Promise<T | undefined> => {
      for (;;) {
        try {
          return await call();
        } catch (err) {
          if (done !== undefined && (err as { code?: number }).code === done) return undefined;
          apiRetries++;
          await sleep(250);
        }
      }
    };
    let created = 0;
    const creating = forEachBounded(policies, 16, async (p, i) => {
      const due = (i / o.policies) * o.createSeconds;
      if (due > sinceStart()) await sleep((due - sinceStart()) * 1000);
      await persist(() => client.create(p), 409);
      created++;
    }).then(sinceStart);

    const deleted: DeletedPolicy[] = [];
    let changed = 0;
    const editing = o.edits
      ? (async (edits) => {
          await creating;
          if (edits.at > sinceStart()) await sleep((edits.at - sinceStart()) * 1000);
          const objects = (await persist(() => client.list()))!;
          const hostPolicies = (await persist(() => kube.hostPolicies()))!;
          const defaults = new Map(hostPolicies.map((h) => [h.metadata.name!, h.status?.policies?.hvm_default?.hash]));
          const deleteEvery = Math.round(1 / edits.deleteShare);
          const changeEvery = Math.round(1 / edits.changeShare);
          const uids = new Map(objects.map((obj) => [obj.metadata.name!, obj.metadata.uid!]));
          o.say(`changing ${Math.ceil(o.policies / changeEvery)} policies and deleting about ${Math.floor(o.policies / deleteEvery)}`);
          await forEachBounded(policies, 16, async (p, i) => {
            if (i % deleteEvery === 1) {
              const defaultHash = defaults.get(p.host);
              if (!defaultHash) throw new Error(`host ${p.host} has no hvm_default policy in its HostCpuidPolicy`);
              deleted.push({ name: p.name, uid: uids.get(p.name)!, host: p.host, domain: p.domain, defaultHash });
              gone.add(p.name);
              await persist(() => client.delete(p.name), 404);
            } else if (i % changeEvery === 0) {
              // every profile has AVX2, so the change makes a new policy on every host
              await persist(() => client.changeDisable(p.name, [...(p.disable ?? []), "avx2"]));
              changed++;
            }
          });
          return sinceStart();
        })(o.edits)
      : Promise.resolve(undefined);

    const wireFault = () => {
      if (!wire) throw new Error("wire faults need the wire option (toxiproxy)");
      return wire;
    };
    const faults: Record<FaultName, () => Promise<string>> = {
      "leader-kill": async () => {
        const l = await leader();
        await l.stop("SIGKILL");
        await startReplica();
        return `killed ${l.name} (-9), started a replacement replica`;
      },
      "apiserver-restart": async () => {
        await o.restartApiserver();
        return "kube-apiserver stopped and started";
      },
      "nats-node-kill": async () => {
        await nats.stopServer(0, { kill: true });
        await sleep(o.natsDownSeconds * 1000);
        await nats.startServer(0);
        return `nats-server 0 killed (-9), restarted after ${o.natsDownSeconds} s`;
      },
      "wire-slow": () => wireFault().slow(o.wire!.seconds),
      "wire-drop": () => wireFault().drop(o.wire!.seconds),
      "agent-kill": async () => {
        const [pid] = victimPool.pids;
        process.kill(pid, "SIGKILL");
        await victimPool.stop();
        victimPool = await launchPools(victims, 1, join(o.dir, "victims"), true);
        pools.push(victimPool);
        return `${victims.length} agents killed (-9, one process), restarted on their state directories`;
      },
    };
    const ticker = setInterval(() => o.say(`created ${created}/${o.policies}, Ready ${readyNow()}`), 5_000);
    const scheduled = (Object.keys(o.faultAt) as FaultName[]).map((fault) => [fault, o.faultAt[fault]!] as const);
    const runs = await Promise.all(
      scheduled.map(async ([fault, at]) => {
        const wait = at - sinceStart();
        if (wait > 0) await sleep(wait * 1000);
        const startedS = sinceStart();
        o.say(`fault ${fault} at t=${startedS.toFixed(1)} s`);
        const detail = await faults[fault]();
        o.say(`fault ${fault} over at t=${sinceStart().toFixed(1)} s: ${detail}`);
        return { fault, startedS, doneS: sinceStart(), detail };
      }),
    );
    const createsDoneS = await creating;
    const editsDoneS = await editing;
    clearInterval(ticker);
    const lastFaultS = Math.max(...runs.map((r) => r.doneS));
    o.say(`all ${o.policies} created at t=${createsDoneS.toFixed(1)} s${editsDoneS === undefined ? "" : `, ${changed} changed and ${deleted.length} deleted at t=${editsDoneS.toFixed(1)} s`}; faults over at t=${lastFaultS.toFixed(1)} s; waiting for convergence`);
    const expected = o.policies - deleted.length;

    const look = async () => {
      const objects = await client.list();
      const desired: DesiredPolicy[] = objects.map((p) => {
        const spec = DomainCpuidPolicySpec.parse(p.spec);
        return { name: p.metadata.name!, uid: p.metadata.uid!, generation: p.metadata.generation!, host: spec.host, domain: spec.domain, hash: p.status?.policyHash };
      });
      const records = new Map(ids.map((id) => [id, readHostRecord(join(stateRoot, id))]));
      return { ready: objects.filter(ready).length, verdict: judge(desired, records, deleted), count: objects.length };
    };
    const deadline = performance.now() + o.convergeTimeoutSeconds * 1000;
    let state: Awaited<ReturnType<typeof look>> | undefined;
    let convergedS: number | undefined;
    let said = 0;
    // the watch only says when to look: a list every LIST_EVERY_MS decides anyway, should the watch have missed a change
    let listedAt = 0;
    for (;;) {
      if (readyNow() === expected || performance.now() - listedAt >= LIST_EVERY_MS) {
        listedAt = performance.now();
        state = await look().catch(() => state);
      }
      if (state && state.count === expected && state.ready === expected && state.verdict.lost.length === 0 && state.verdict.notAsDesired.length === 0) {
        convergedS = sinceStart();
        break;
      }
      if (performance.now() > deadline) break;
      if (performance.now() - said >= 5_000) {
        said = performance.now();
        o.say(`Ready ${readyNow()}/${expected} (watched)${state ? `, ${state.ready}/${expected} (listed); hosts not as desired ${state.verdict.notAsDesired.length}` : ""}`);
      }
      await sleep(1_000);
    }
    watch.stop();
    const { restarts, relists } = watch.resumed;
    o.say(`the policy watch ended and resumed ${restarts} times, ${relists} of them from the current objects; Ready ${readyNow()}/${expected} as watched`);
    const final = convergedS !== undefined && state ? state : await look();
    return {
      faults: runs,
      createsDoneS,
      editsDoneS,
      changed,
      deleted: deleted.length,
      convergenceSeconds: convergedS === undefined ? undefined : convergedS - Math.max(lastFaultS, createsDoneS, editsDoneS ?? 0),
      policies: final.count,
      ready: final.ready,
      verdict: final.verdict,
      apiRetries,
    };
  } finally {
    await Promise.all(controllers.map((c) => c.stop("SIGTERM").catch(() => undefined)));
    for (const p of pools) await p.stop();
    await wire?.stop();
    await nats.stop();
  }
}
