// Reconciles one CpuidPool (key: its name): selects the hosts by their
// HostCpuidPolicy labels, takes their guest max from the host index, decides
// members and level (pool-status.ts), writes the level annotation
// first (so a level is never in status without being durable), then status
// and events.

import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { LEVEL_ANNOTATION, RELEVEL_CONFIRM_ANNOTATION } from "../../shared/pool/level-annotation.ts";
import { selectHosts, type PoolCandidate } from "../../shared/pool/pool-members.ts";
import { guestMax } from "../../shared/request/build-request.ts";
import type { GuestType } from "../../shared/schemas/guest.ts";
import type { HostIndex } from "../hosts/host-index.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { ResilientInformer } from "../kube/informer.ts";
import { httpStatusOf } from "../kube/api-error.ts";
import type { ObjectWriter } from "../kube/object-writer.ts";
import type { ControllerMetrics } from "../metrics.ts";
import type { HandlerResult } from "../runtime/work-queue.ts";
import type { PoolMetrics } from "./pool-metrics.ts";
import { decidePool } from "./pool-status.ts";

export interface PoolReconcilerDeps {
  pools: Pick<ResilientInformer<CpuidPoolObject>, "get" | "list">;
  hostObjects: Pick<ResilientInformer<HostCpuidPolicyObject>, "list">;
  hosts: Pick<HostIndex, "get">;
  writer: ObjectWriter;
  events: Pick<EventRecorder, "record">;
  metrics: Pick<ControllerMetrics, "statusWrites">;
  poolMetrics: PoolMetrics;
  log: Logger;
}

export class PoolReconciler {
  readonly #d: PoolReconcilerDeps;

  constructor(deps: PoolReconcilerDeps) {
    this.#d = deps;
  }

  #candidates(guest: GuestType): PoolCandidate[] {
    return this.#d.hostObjects.list().map((obj) => {
      const hostId = obj.status?.hostId ?? obj.metadata.name!;
      const host = this.#d.hosts.get(hostId);
      return { host: hostId, labels: obj.metadata.labels, max: host ? guestMax(host.record.guest, guest) : undefined, tsc: host?.record.published.tsc };
    });
  }

  async reconcile(name: string): Promise<HandlerResult> {
    let pool = this.#d.pools.get(name);
    if (!pool) {
      this.#d.poolMetrics.forget(name);
      return;
    }
    const selected = selectHosts(this.#candidates(pool.spec.guestType), pool.spec.hostSelector);
    const decision = decidePool(pool, selected, new Date());
    if (decision.store || decision.clearConfirm) {
      const annotations: Record<string, string | null> = {};
      if (decision.store) annotations[LEVEL_ANNOTATION] = JSON.stringify(decision.store);
      if (decision.clearConfirm) annotations[RELEVEL_CONFIRM_ANNOTATION] = null;
      try {
        pool = await this.#d.writer.patchPoolAnnotations(pool, annotations);
      } catch (err) {
        // someone changed the pool meanwhile (a new confirmation?): decide again on what the informer brings
        if (httpStatusOf(err) === 409) return { requeue: "backoff" };
        throw err;
      }
      if (decision.store) this.#d.log.info({ pool: name, hash: decision.store.hash, hosts: decision.store.hosts }, "pool level stored");
    }
    for (const e of decision.events) this.#d.events.record(pool, e);
    if (decision.levelChanged) this.#d.poolMetrics.levelChanges.inc({ pool: name });
    if (!isDeepStrictEqual(decision.status, pool.status ?? {})) {
      await this.#d.writer.patchPoolStatus(pool, decision.status);
      this.#d.metrics.statusWrites.inc({ kind: "pool" });
    }
    return undefined;
  }
}
