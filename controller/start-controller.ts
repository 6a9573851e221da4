// Wires the controller together and runs it: usable in-process (tests, the
// demo, the benchmark) or from controller/main.ts as the daemon.
//
// Every replica keeps warm caches (informers on DomainCpuidPolicy and
// HostCpuidPolicy, the host index from NATS) and serves /metrics, /healthz
// and /readyz; only the Lease holder runs the work queues.

import type { KubernetesListObject } from "@kubernetes/client-node";
import { Kvm, type KV } from "@nats-io/kv";
import { connect, nkeyAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { pino, type Logger } from "pino";
import { startHttp } from "../runtime/http-endpoints.ts";
import { readSeed } from "../runtime/nkey-seed.ts";
import { HOSTS_BUCKET_CONFIG } from "../shared/nats/hosts-bucket.ts";
import { HOSTS_BUCKET } from "../shared/nats/subjects.ts";
import { AgentClient } from "./agent-client.ts";
import type { ControllerOptions } from "./config.ts";
import { EvaluationCache } from "./domain-policy/evaluation-cache.ts";
import { countFailingPolicies } from "./domain-policy/failing-policies.ts";
import { OrphanReset } from "./domain-policy/orphan-reset.ts";
import { PolicyIndex } from "./domain-policy/policy-index.ts";
import { DomainPolicyReconciler } from "./domain-policy/reconciler.ts";
import { HostMirrorReconciler } from "./host-mirror/reconciler.ts";
import { HostIndex, type HostChange } from "./hosts/host-index.ts";
import { HostWatch } from "./hosts/host-watch.ts";
import { NatsConnectionStatus } from "./hosts/nats-connection-status.ts";
import { EventRecorder } from "./kube/events.ts";
import { ResilientInformer } from "./kube/informer.ts";
import { loadKubeConfig } from "./kube/kube-config.ts";
import { LeaderElector } from "./kube/leader-election.ts";
import { ObjectWriter } from "./kube/object-writer.ts";
import {
  API_GROUP,
  API_VERSION,
  DOMAIN_PLURAL,
  HOST_PLURAL,
  domainPoliciesPath,
  hostPoliciesPath,
  objectKey,
  type DomainCpuidPolicyObject,
  type HostCpuidPolicyObject,
} from "./kube/resources.ts";
import { CONDITION_KEY_SEPARATOR, createMetrics } from "./metrics.ts";
import { WorkQueue } from "./runtime/work-queue.ts";

export interface RunningController {
  /** the port /metrics, /healthz and /readyz listen on */
  readonly metricsPort: number;
  readonly identity: string;
  isLeader(): boolean;
  /** Stops reconciling, releases the lease, closes connections. */
  stop(): Promise<void>;
}

const HOST_WORKERS = 2;
const SWEEP_WORKERS = 4;
const HOST_REFRESH_MS = 120_000;
const INFORMER_BACKOFF = { baseMs: 200, maxMs: 10_000 };

export async function startController(options: ControllerOptions, log: Logger = pino({ level: options.logLevel })): Promise<RunningController> {
  const logger = log.child({ identity: options.identity });
  const kubeConfig = loadKubeConfig(options.kubeconfig);

  let leading = false;
  let domainQueue: WorkQueue | undefined;
  let hostQueue: WorkQueue | undefined;
  /** hosts to sweep for domains no policy governs any more (./domain-policy/orphan-reset.ts) */
  let sweepQueue: WorkQueue | undefined;

  const metrics = createMetrics({
    isLeader: () => leading,
    domainPolicyConditions: () => countConditions(domainInformer.list()),
    failingPolicies: () => countFailingPolicies(domainInformer.list()),
    hostCounts: () => hosts.counts(),
    hostPolicyAges: () => policyAges(hosts),
    queueDepth: () => (domainQueue?.depth ?? 0) + (hostQueue?.depth ?? 0) + (sweepQueue?.depth ?? 0),
  });

  const policies = new PolicyIndex();
  const triggerOfKey = new Map<string, string>();
  const track = (obj: DomainCpuidPolicyObject) => {
    const key = objectKey(obj.metadata);
    const spec = obj.spec as { host?: unknown; domain?: unknown } | undefined;
    const previous = policies.target(key);
    if (previous && (previous.host !== spec?.host || previous.domain !== spec?.domain)) sweepQueue?.add(previous.host);
    const affected =
      typeof spec?.host === "string" && typeof spec.domain === "string"
        ? policies.set(key, { host: spec.host, domain: spec.domain, createdAt: String(obj.metadata.creationTimestamp ?? "") })
        : policies.remove(key);
    for (const other of affected) domainQueue?.add(other);
  };
  // Status-only updates (our own writes) do not need a reconcile.
  const trigger = (obj: DomainCpuidPolicyObject) => JSON.stringify([obj.metadata.generation, obj.metadata.deletionTimestamp ?? null]);

  const domainInformer: ResilientInformer<DomainCpuidPolicyObject> = new ResilientInformer<DomainCpuidPolicyObject>({
    kubeConfig,
    path: domainPoliciesPath(options.watchNamespace),
    list: () => listDomainPolicies(writer, options.watchNamespace),
    log: logger,
    backoff: INFORMER_BACKOFF,
    onAdd: (obj) => {
      track(obj);
      triggerOfKey.set(objectKey(obj.metadata), trigger(obj));
      domainQueue?.add(objectKey(obj.metadata));
    },
    onUpdate: (obj) => {
      const key = objectKey(obj.metadata);
      track(obj);
      const t = trigger(obj);
      if (triggerOfKey.get(key) === t) return;
      triggerOfKey.set(key, t);
      domainQueue?.add(key);
    },
    onDelete: (obj) => {
      const key = objectKey(obj.metadata);
      const target = policies.target(key);
      if (target && sweepQueue) {
        orphans.noteDeleted(obj);
        sweepQueue.add(target.host);
      }
      for (const other of policies.remove(key)) domainQueue?.add(other);
      triggerOfKey.delete(key);
      domainQueue?.forget(key);
    },
  });

  const hostInformer = new ResilientInformer<HostCpuidPolicyObject>({
    kubeConfig,
    path: hostPoliciesPath(),
    list: () => writer.api.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: HOST_PLURAL }) as Promise<KubernetesListObject<HostCpuidPolicyObject>>,
    log: logger,
    backoff: INFORMER_BACKOFF,
    // someone deleted a mirror of a host that still exists: recreate it
    onDelete: (obj) => {
      const hostId = obj.status?.hostId;
      if (hostId && hosts.get(hostId)) hostQueue?.add(hostId);
    },
  });

  const onHostChange = (hostId: string, change: HostChange) => {
    logger.info({ host: hostId, change }, "host changed");
    hostQueue?.add(hostId);
    if (change === "stale") return;
    for (const key of policies.keysOnHost(hostId)) domainQueue?.add(key);
    if (change !== "removed") sweepQueue?.add(hostId);
  };
  const hosts = new HostIndex(onHostChange);
  const writer = new ObjectWriter(kubeConfig);

  const http = await startHttp(options.metricsListen.host, options.metricsListen.port, {
    register: metrics.register,
    notReadyReason: () => {
      if (!nc || nc.isClosed()) return "not connected to NATS";
      if (!domainInformer.synced || !hostInformer.synced) return "caches not synced";
      if (!hostsInitialised) return "cpuid-hosts bucket not loaded";
      return undefined;
    },
  });

  let nc: NatsConnection | undefined;
  let hostsInitialised = false;
  nc = await connect({
    servers: options.natsUrl.split(","),
    name: `cpuid-fleet-controller/${options.identity}`,
    ...(options.natsSeedFile ? { authenticator: nkeyAuthenticator(readSeed(options.natsSeedFile)) } : {}),
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    // AgentClient sorts request failures itself; a stack trace captured per request is pure cost
    noAsyncTraces: true,
  });
  const link = new NatsConnectionStatus(nc, metrics, logger);
  const kv = await openHostsBucket(nc, logger);
  const hostWatch = new HostWatch({ nc, kv, index: hosts, log: logger, listeningSince: () => link.listeningSince() });
  hostWatch.start();
  const agents = new AgentClient(nc, options.requestTimeoutSeconds * 1000);
  const events = new EventRecorder(kubeConfig, options.identity, logger, (reason) => metrics.eventsDropped.inc({ reason }));

  const evaluations = new EvaluationCache();
  const domainReconciler = new DomainPolicyReconciler({
    informer: domainInformer,
    policies,
    hosts,
    agents,
    link,
    writer,
    events,
    metrics,
    log: logger,
    stagedRefreshMs: options.stagedRefreshSeconds * 1000,
    evaluations,
    sweepHost: (hostId) => sweepQueue?.add(hostId),
  });
  const orphans = new OrphanReset({ policies, hosts, agents, events, metrics, evaluations, log: logger });
  const hostReconciler = new HostMirrorReconciler({ informer: hostInformer, hosts, writer, metrics, refreshMs: HOST_REFRESH_MS });

  await Promise.all([domainInformer.start(), hostInformer.start(), hostWatch.initialised]);
  hostsInitialised = true;
  logger.info({ domainPolicies: domainInformer.list().length, hosts: hosts.size }, "caches synced");

  let resyncTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> = Promise.resolve();
  const enqueueAll = () => {
    for (const obj of domainInformer.list()) domainQueue?.add(objectKey(obj.metadata));
    for (const hostId of hostReconciler.sweepKeys()) hostQueue?.add(hostId);
    for (const hostId of hosts.hostIds()) sweepQueue?.add(hostId);
  };
  const backoff = { baseMs: 250, maxMs: options.maxBackoffSeconds * 1000 };
  const onError = (kind: string) => (key: string, err: unknown) => logger.error({ err, kind, key }, "reconcile failed; retrying with backoff");
  const timed =
    (kind: "domain" | "host" | "sweep", fn: (key: string) => ReturnType<DomainPolicyReconciler["reconcile"]>) =>
    async (key: string) => {
      const end = metrics.reconcileDuration.startTimer({ kind });
      try {
        const result = await fn(key);
        end({ result: result && "requeue" in result ? "retry" : "ok" });
        return result;
      } catch (err) {
        end({ result: "error" });
        throw err;
      }
    };

  const elector = new LeaderElector({
    kubeConfig,
    namespace: options.leaseNamespace,
    name: options.leaseName,
    identity: options.identity,
    leaseDurationMs: options.leaseDurationSeconds * 1000,
    renewDeadlineMs: options.renewDeadlineSeconds * 1000,
    retryPeriodMs: options.retryPeriodSeconds * 1000,
    log: logger,
    onStartedLeading: () => {
      leading = true;
      metrics.leaderTransitions.inc({ to: "leader" });
      const [domains, hostMirrors, sweeps] = [new WorkQueue({ backoff, onError: onError("domain") }), new WorkQueue({ backoff, onError: onError("host") }), new WorkQueue({ backoff, onError: onError("sweep") })];
      [domainQueue, hostQueue, sweepQueue] = [domains, hostMirrors, sweeps];
      enqueueAll();
      resyncTimer = setInterval(enqueueAll, options.resyncSeconds * 1000);
      resyncTimer.unref();
      // leading again soon after stepping down: the old workers finish first, so no key runs twice at once
      void stopping.then(() => {
        if (domainQueue !== domains) return;
        domains.run(options.workers, timed("domain", (key) => domainReconciler.reconcile(key)));
        hostMirrors.run(HOST_WORKERS, timed("host", (key) => hostReconciler.reconcile(key)));
        sweeps.run(SWEEP_WORKERS, timed("sweep", (key) => orphans.sweepHost(key)));
      });
    },
    onStoppedLeading: () => {
      leading = false;
      metrics.leaderTransitions.inc({ to: "follower" });
      clearInterval(resyncTimer);
      const queues = [domainQueue, hostQueue, sweepQueue];
      domainQueue = hostQueue = sweepQueue = undefined;
      stopping = Promise.all(queues.map((q) => q?.shutdown())).then(() => undefined);
    },
  });
  elector.start();

  return {
    metricsPort: http.port,
    identity: options.identity,
    isLeader: () => leading,
    async stop() {
      await elector.stop();
      await stopping;
      await events.flush();
      await hostWatch.stop();
      await Promise.all([domainInformer.stop(), hostInformer.stop()]);
      await nc?.drain().catch(() => undefined);
      await new Promise<void>((resolve) => http.server.close(() => resolve()));
      logger.info("controller stopped");
    },
  };
}

function listDomainPolicies(writer: ObjectWriter, namespace: string | undefined): Promise<KubernetesListObject<DomainCpuidPolicyObject>> {
  const base = { group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL };
  const list = namespace ? writer.api.listNamespacedCustomObject({ ...base, namespace }) : writer.api.listClusterCustomObject(base);
  return list as Promise<KubernetesListObject<DomainCpuidPolicyObject>>;
}

/** Creates the bucket when missing (same configuration the agents expect), else binds to it. */
async function openHostsBucket(nc: NatsConnection, log: Logger): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(HOSTS_BUCKET, { ...HOSTS_BUCKET_CONFIG });
  } catch (err) {
    // usually: it exists with another configuration, or this identity may not create it
    log.info({ err: (err as Error).message, bucket: HOSTS_BUCKET }, "could not create the hosts bucket; opening it as it is");
    return kvm.open(HOSTS_BUCKET, { allow_direct: HOSTS_BUCKET_CONFIG.allow_direct });
  }
}

function countConditions(objects: readonly DomainCpuidPolicyObject[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const obj of objects) {
    for (const c of obj.status?.conditions ?? []) {
      const key = `${c.type}${CONDITION_KEY_SEPARATOR}${c.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

function policyAges(hosts: HostIndex): Map<string, number> {
  const now = Date.now();
  const ages = new Map<string, number>();
  for (const hostId of hosts.hostIds()) {
    const published = Date.parse(hosts.get(hostId)!.record.published.publishedAt);
    ages.set(hostId, Math.max(0, (now - published) / 1000));
  }
  return ages;
}
