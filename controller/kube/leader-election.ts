// Leader election on a coordination.k8s.io/v1 Lease, in the manner of
// client-go's LeaseLock: acquire or renew every retry period; a lease held by
// someone else is taken only after it expired; optimistic concurrency
// (resourceVersion) makes a lost race a 409; a leader that cannot renew within
// the renew deadline steps down before its lease can expire elsewhere.

import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { describeApiError, httpStatusOf } from "./api-error.ts";

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

export class LeaderElector {
  readonly #o: LeaderElectionOptions;
  readonly #api: CoordinationV1Api;
  #leading = false;
  #observed = { record: "", at: 0 };
  #lastRenew = 0;
  #stopped = false;
  #timer?: NodeJS.Timeout;
  #loop?: Promise<void>;
  #wake?: () => void;

  constructor(options: LeaderElectionOptions) {
    this.#o = options;
    this.#api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** Stops campaigning; a leader releases the lease so a follower takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
    if (this.#leading) {
      this.#setLeading(false);
      await this.#release();
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const now = Date.now();
      let renewed = false;
      try {
        renewed = await this.#tryAcquireOrRenew(now);
      } catch (err) {
        this.#o.log.warn({ err: describeApiError(err) }, "leader election: lease request failed");
      }
      if (this.#stopped) return;
      if (renewed) {
        this.#lastRenew = now;
        if (!this.#leading) this.#setLeading(true);
      } else if (this.#leading && Date.now() - this.#lastRenew > this.#o.renewDeadlineMs) {
        this.#o.log.error("leader election: renew deadline passed; stepping down");
        this.#setLeading(false);
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, this.#o.retryPeriodMs);
      });
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#o.log.info({ identity: this.#o.identity, lease: `${this.#o.namespace}/${this.#o.name}` }, leading ? "became leader" : "stopped leading");
    if (leading) this.#o.onStartedLeading();
    else this.#o.onStoppedLeading();
  }

  /** True when this identity holds the lease after the call. */
  async #tryAcquireOrRenew(now: number): Promise<boolean> {
    const { namespace, name, identity } = this.#o;
    let lease: V1Lease;
    try {
      lease = await this.#api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw err;
      try {
        await this.#api.createNamespacedLease({ namespace, body: this.#leaseBody(undefined, 0) });
        return true;
      } catch (createErr) {
        if (httpStatusOf(createErr) === 409) return false;
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const record = `${holder}@${String(spec.renewTime)}`;
    if (record !== this.#observed.record) this.#observed = { record, at: now };
    // Expiry is judged by our own clock from when the record last changed, as client-go does, so clock skew between replicas does not matter.
    const expired = !holder || now > this.#observed.at + (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== identity && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    const body = this.#leaseBody(lease, transitions);
    try {
      await this.#api.replaceNamespacedLease({ name, namespace, body });
      return true;
    } catch (err) {
      if (httpStatusOf(err) === 409) return false;
      throw err;
    }
  }

  #leaseBody(current: V1Lease | undefined, transitions: number): V1Lease {
    const { namespace, name, identity, leaseDurationMs } = this.#o;
    const holding = current?.spec?.holderIdentity === identity;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace, ...(current ? { resourceVersion: current.metadata?.resourceVersion } : {}) },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
        acquireTime: holding && current?.spec?.acquireTime ? new V1MicroTime(current.spec.acquireTime) : new V1MicroTime(),
        renewTime: new V1MicroTime(),
        leaseTransitions: transitions,
      },
    };
  }

  /** Gives the lease up (renew time in the past), as client-go's ReleaseOnCancel does. */
  async #release(): Promise<void> {
    const { namespace, name, identity } = this.#o;
    try {
      const lease = await this.#api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== identity) return;
      lease.spec.holderIdentity = undefined;
      lease.spec.leaseDurationSeconds = 1;
      lease.spec.renewTime = new V1MicroTime(0);
      lease.spec.acquireTime = new V1MicroTime(0);
      await this.#api.replaceNamespacedLease({ name, namespace, body: lease });
    } catch (err) {
      this.#o.log.warn({ err: describeApiError(err) }, "leader election: could not release the lease");
    }
  }
}
