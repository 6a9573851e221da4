// Wires the controller together and runs it: usable in-process (tests, the
// demo, the benchmark) or from controller/main.ts as the daemon. Connects,
// constructs the caches and reconcilers, and registers each reconciler with
// the manager (./manager/), whose watches say which events enqueue which keys
// (the watch.ts next to each reconciler).
//
// Every replica keeps warm caches (informers on DomainCpuidPolicy,
// HostCpuidPolicy and CpuidPool, the host index from NATS) and serves /metrics, /healthz
// and /readyz; only the Lease holder runs the work queues.

import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino, type Logger } from "pino";
import { closeHttpServer, startHttp } from "../runtime/http-endpoints.ts";
import { connectNats } from "../runtime/nats/connect.ts";
import { daemonConnectionOptions, logConnectRetries } from "../runtime/nats/daemon-connection.ts";
import { ApiserverThrottle } from "./kube/apiserver-throttle.ts";
import { createOrOpenHostsBucket } from "../runtime/nats/hosts-bucket.ts";
import { HOSTS_BUCKET } from "../shared/nats/subjects.ts";
import { AgentClient } from "./agent-client.ts";
import type { ControllerOptions } from "./config.ts";
import { subscribeDomainEvents } from "./domain-policy/domain-events.ts";
import { EvaluationCache } from "./domain-policy/evaluation-cache.ts";
import { AcceptingHostsIndex } from "./domain-policy/accepting-hosts.ts";
import { OrphanReset } from "./domain-policy/orphan-reset.ts";
import { orphanResetController } from "./domain-policy/orphan-reset-watch.ts";
import { PolicyEvents } from "./domain-policy/policy-events.ts";
import { PolicyIndex } from "./domain-policy/policy-index.ts";
import { DomainPolicyReconciler } from "./domain-policy/reconciler.ts";
import { domainPolicyController } from "./domain-policy/watch.ts";
import { HostMirrorReconciler } from "./host-mirror/reconciler.ts";
import { createPoolMetrics } from "./pool/pool-metrics.ts";
import { PoolReconciler } from "./pool/reconciler.ts";
import { poolController } from "./pool/watch.ts";
import { PoolBaselines } from "./domain-policy/pool-baselines.ts";
import { RolloutLayers } from "./rollout/rollout-layers.ts";
import { createRolloutMetrics } from "./rollout/rollout-metrics.ts";
import { namespaceLabelReader, RolloutReconciler } from "./rollout/reconciler.ts";
import { rolloutController } from "./rollout/watch.ts";
import type { CpuidRolloutObject } from "../shared/api/v1alpha1/cpuid-rollout.ts";
import type { ObjectChange } from "./manager/object-change.ts";
import { hostMirrorController } from "./host-mirror/watch.ts";
import type { HostEvent } from "./hosts/host-events.ts";
import { HostIndex } from "./hosts/host-index.ts";
import { HostWatch } from "./hosts/host-watch.ts";
import { NatsConnectionStatus } from "./hosts/nats-connection-status.ts";
import { EventRecorder } from "./kube/events.ts";
import { ResilientInformer } from "./kube/informer.ts";
import { KubeRest } from "./kube/kube-rest.ts";
import { loadKubeConfig } from "./kube/kube-config.ts";
import { LeaderElector } from "./kube/leader-election.ts";
import { ObjectWriter } from "./kube/object-writer.ts";
import type { DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../shared/api/v1alpha1/host-cpuid-policy.ts";
import type { CpuidPoolObject } from "../shared/api/v1alpha1/cpuid-pool.ts";
import {
  API_GROUP,
  API_VERSION,
  DOMAIN_PLURAL,
  HOST_PLURAL,
  POOL_PLURAL,
  ROLLOUT_PLURAL,
  domainPoliciesPath,
  hostPoliciesPath,
  poolsPath,
  rolloutsPath,
} from "../shared/api/v1alpha1/names.ts";
import { ControllerManager } from "./manager/manager.ts";
import { Source } from "./manager/source.ts";
import { createMetrics } from "./metrics.ts";

export interface RunningController {
  /** the port /metrics, /healthz and /readyz listen on */
  readonly metricsPort: number;
  readonly identity: string;
  isLeader(): boolean;
  /** Stops reconciling, releases the lease, closes connections. */
  stop(): Promise<void>;
}

const HOST_REFRESH_MS = 120_000;
const INFORMER_BACKOFF = { baseMs: 200, maxMs: 10_000 };
/** first hold after a 429 when the apiserver sends no longer Retry-After (it sends 1 s) */
const THROTTLE_BASE_MS = 1_000;

export async function startController(options: ControllerOptions, log: Logger = pino({ level: options.logLevel })): Promise<RunningController> {
  const logger = log.child({ identity: options.identity });
  const kubeConfig = loadKubeConfig(options.kubeconfig);
  const hostEvents = new Source<HostEvent>();
  const hosts = new HostIndex((hostId, change) => {
    logger.info({ host: hostId, change }, "host changed");
    accepting.hostsChanged();
    hostEvents.emit({ hostId, change });
  });

  const accepting = new AcceptingHostsIndex(hosts);
  const metrics = createMetrics({ isLeader: () => manager.leading, domainPolicies: () => domainInformer.list(), hosts });
  const throttle = new ApiserverThrottle(
    { baseMs: THROTTLE_BASE_MS, maxMs: options.maxBackoffSeconds * 1000, openAt: options.workers },
    {
      throttled: (delayMs) => {
        metrics.apiserverThrottled.inc();
        logger.warn({ delayMs }, "the apiserver throttles writes (429); holding them back");
      },
      gate: (closed) => {
        metrics.apiserverWritesHeld.set(closed ? 1 : 0);
        if (!closed) logger.info("the apiserver accepts writes again");
      },
    },
  );
  const rest = new KubeRest(kubeConfig);
  const writer = new ObjectWriter(kubeConfig, rest, throttle);
  const manager = new ControllerManager({
    log: logger,
    metrics: metrics.register,
    backoff: { baseMs: 250, maxMs: options.maxBackoffSeconds * 1000 },
    resyncMs: options.resyncSeconds * 1000,
    elect: (callbacks) =>
      new LeaderElector({
        kubeConfig,
        namespace: options.leaseNamespace,
        name: options.leaseName,
        identity: options.identity,
        leaseDurationMs: options.leaseDurationSeconds * 1000,
        renewDeadlineMs: options.renewDeadlineSeconds * 1000,
        retryPeriodMs: options.retryPeriodSeconds * 1000,
        log: logger,
        ...callbacks,
      }),
  });

  const policies = new PolicyIndex();
  const policyEvents = new PolicyEvents(policies);
  const domainInformer = new ResilientInformer<DomainCpuidPolicyObject>({
    kubeConfig,
    path: domainPoliciesPath(options.watchNamespace),
    list: () => listDomainPolicies(writer, options.watchNamespace),
    log: logger,
    backoff: INFORMER_BACKOFF,
    onAdd: policyEvents.onAdd,
    onUpdate: policyEvents.onUpdate,
    onDelete: policyEvents.onDelete,
  });
  const mirrorDeletions = new Source<HostCpuidPolicyObject>();
  const hostObjectChanges = new Source<ObjectChange<HostCpuidPolicyObject>>();
  /** An informer over a cluster-scoped kind of the API, every change as one ObjectChange. */
  const clusterInformer = <T extends KubernetesObject>(plural: string, path: string, changed: (change: ObjectChange<T>) => void) =>
    new ResilientInformer<T>({
      kubeConfig,
      path,
      list: () => writer.api.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural }) as Promise<KubernetesListObject<T>>,
      log: logger,
      backoff: INFORMER_BACKOFF,
      onAdd: (obj) => changed({ obj, deleted: false }),
      onUpdate: (obj) => changed({ obj, deleted: false }),
      onDelete: (obj) => changed({ obj, deleted: true }),
    });
  const hostInformer = clusterInformer<HostCpuidPolicyObject>(HOST_PLURAL, hostPoliciesPath(), (change) => {
    if (change.deleted) mirrorDeletions.emit(change.obj);
    hostObjectChanges.emit(change);
  });
  const poolChanges = new Source<ObjectChange<CpuidPoolObject>>();
  const poolInformer = clusterInformer<CpuidPoolObject>(POOL_PLURAL, poolsPath(), (change) => poolChanges.emit(change));
  const poolMetrics = createPoolMetrics(metrics.register, () => manager.leading, () => poolInformer.list());
  const layers = new RolloutLayers();
  const layerChanges = new Source<readonly string[]>();
  const rolloutChanges = new Source<ObjectChange<CpuidRolloutObject>>();
  const rolloutInformer = clusterInformer<CpuidRolloutObject>(ROLLOUT_PLURAL, rolloutsPath(), (change) => {
    const keys = layers.update(change.obj, change.deleted);
    if (keys.length) layerChanges.emit(keys);
    rolloutChanges.emit(change);
  });
  createRolloutMetrics(metrics.register, () => manager.leading, () => rolloutInformer.list());

  const http = await startHttp(options.metricsListen.host, options.metricsListen.port, {
    register: metrics.register,
    notReadyReason: () => {
      if (!nc || nc.isClosed()) return "not connected to NATS";
      if (!domainInformer.synced || !hostInformer.synced || !poolInformer.synced || !rolloutInformer.synced) return "caches not synced";
      if (!hostsInitialised) return "cpuid-hosts bucket not loaded";
      return undefined;
    },
  });

  // eslint-disable-next-line prefer-const -- the readiness check above may run before the connection exists; a const would throw there
  let nc: NatsConnection | undefined;
  let hostsInitialised = false;
  nc = await connectNats({
    servers: options.natsUrl,
    name: `cpuid-fleet-controller/${options.identity}`,
    seedFile: options.natsSeedFile,
    tls: { caFile: options.natsCaFile, certFile: options.natsCertFile, keyFile: options.natsKeyFile },
    // the hosts bucket's requests go through nats.js: a stack trace captured for each is pure cost
    options: { ...daemonConnectionOptions(), noAsyncTraces: true },
    onRetry: logConnectRetries(logger),
  });
  const link = new NatsConnectionStatus(nc, metrics, logger);
  const kv = await createOrOpenHostsBucket(nc, options.hostsBucketReplicas, (err) =>
    logger.info({ err: err.message, bucket: HOSTS_BUCKET }, "could not create the hosts bucket; opening it as it is"),
  );
  const hostWatch = new HostWatch({ nc, kv, index: hosts, log: logger, listeningSince: () => link.listeningSince() });
  hostWatch.start();
  const agents = new AgentClient(nc, options.requestTimeoutSeconds * 1000);
  const events = new EventRecorder(rest, options.identity, logger, (reason) => metrics.eventsDropped.inc({ reason }));

  const evaluations = new EvaluationCache();
  const orphans = new OrphanReset({ policies, hosts, agents, events, metrics, evaluations, log: logger });
  const sweeps = manager.register(orphanResetController({ orphans, hosts, policyEvents, hostEvents }));
  const domainReconciler = new DomainPolicyReconciler({
    informer: domainInformer,
    policyEvents,
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
    accepting,
    pools: new PoolBaselines(poolInformer),
    layers,
    sweepHost: (hostId) => sweeps.add(hostId),
  });
  const domainQueue = manager.register(domainPolicyController({ reconciler: domainReconciler, informer: domainInformer, policies, policyEvents, hostEvents, poolChanges, layerChanges, workers: options.workers }));
  const domainEvents = subscribeDomainEvents(nc, logger, (hostId, domain) => {
    const key = policies.owner(hostId, domain);
    if (key !== undefined) domainQueue.add(key);
  });
  const hostReconciler = new HostMirrorReconciler({ informer: hostInformer, hosts, writer, metrics, refreshMs: HOST_REFRESH_MS });
  manager.register(hostMirrorController({ reconciler: hostReconciler, hosts, hostEvents, mirrorDeletions }));
  const poolReconciler = new PoolReconciler({ pools: poolInformer, hostObjects: hostInformer, hosts, writer, events, metrics, poolMetrics, log: logger });
  manager.register(poolController({ reconciler: poolReconciler, pools: poolInformer, poolChanges, hostObjectChanges, hostEvents }));

  const rolloutReconciler = new RolloutReconciler({
    rollouts: rolloutInformer,
    domains: domainInformer,
    pools: poolInformer,
    namespaceLabels: namespaceLabelReader(kubeConfig),
    writer,
    events,
    metrics,
    log: logger,
  });
  manager.register(rolloutController({ reconciler: rolloutReconciler, rollouts: rolloutInformer, rolloutChanges, policyEvents, layers }));

  // the rollout layers must be known before any domain policy is reconciled: without them a policy would be built from its spec alone
  await Promise.all([domainInformer.start(), hostInformer.start(), poolInformer.start(), rolloutInformer.start(), hostWatch.initialised]);
  hostsInitialised = true;
  logger.info({ domainPolicies: domainInformer.list().length, hosts: hosts.size }, "caches synced");
  manager.start();

  return {
    metricsPort: http.port,
    identity: options.identity,
    isLeader: () => manager.leading,
    async stop() {
      throttle.stop();
      await manager.stop();
      await events.flush();
      await hostWatch.stop();
      domainEvents.unsubscribe();
      await Promise.all([domainInformer.stop(), hostInformer.stop(), poolInformer.stop(), rolloutInformer.stop()]);
      await nc?.drain().catch(() => undefined);
      await closeHttpServer(http.server);
      logger.info("controller stopped");
    },
  };
}

function listDomainPolicies(writer: ObjectWriter, namespace: string | undefined): Promise<KubernetesListObject<DomainCpuidPolicyObject>> {
  const base = { group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL };
  const list = namespace ? writer.api.listNamespacedCustomObject({ ...base, namespace }) : writer.api.listClusterCustomObject(base);
  return list as Promise<KubernetesListObject<DomainCpuidPolicyObject>>;
}
