// Keeps one HostCpuidPolicy per host in the index: created when the host
// appears, status patched when its summary changes, labelled with the CPU's
// facts and the agent's labels (shared/labels/host-labels.ts), deleted when
// the host leaves the cpuid-hosts bucket.

import { isDeepStrictEqual } from "node:util";
import type { HostIndex } from "../hosts/host-index.ts";
import type { ResilientInformer } from "../kube/informer.ts";
import { httpStatusOf } from "../kube/api-error.ts";
import type { ObjectWriter } from "../kube/object-writer.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import type { ControllerMetrics } from "../metrics.ts";
import type { HandlerResult } from "../runtime/work-queue.ts";
import { desiredLabels, labelPatch } from "../../shared/labels/host-labels.ts";
import { hostObjectName, hostStatus } from "./host-status.ts";

export interface HostMirrorDeps {
  informer: ResilientInformer<HostCpuidPolicyObject>;
  hosts: HostIndex;
  writer: ObjectWriter;
  metrics: ControllerMetrics;
  /** lastSeen is refreshed this often (and no more precisely) */
  refreshMs: number;
}

export class HostMirrorReconciler {
  readonly #d: HostMirrorDeps;

  constructor(deps: HostMirrorDeps) {
    this.#d = deps;
  }

  /** Queue keys for a full sweep: every indexed host and every mirrored one. */
  sweepKeys(): string[] {
    const keys = new Set(this.#d.hosts.hostIds());
    for (const obj of this.#d.informer.list()) keys.add(obj.status?.hostId ?? obj.metadata.name!);
    return [...keys];
  }

  async reconcile(hostId: string): Promise<HandlerResult> {
    const name = hostObjectName(hostId);
    let obj = this.#d.informer.get(name);
    const host = this.#d.hosts.get(hostId);
    if (!host) {
      if (obj) await this.#delete(name);
      return;
    }
    if (!obj) {
      try {
        obj = await this.#d.writer.createHost(name);
      } catch (err) {
        if (httpStatusOf(err) !== 409) throw err;
        return { requeue: "backoff" }; // exists already; the informer will bring it
      }
    }
    const status = hostStatus(host, obj.status, new Date(), this.#d.refreshMs);
    if (!isDeepStrictEqual(status, obj.status ?? {})) {
      await this.#d.writer.patchHostStatus(obj, status);
      this.#d.metrics.statusWrites.inc({ kind: "host" });
    }
    const { cpu, labels } = host.record.published;
    const patch = labelPatch(obj.metadata.labels, obj.metadata.annotations, desiredLabels(cpu, labels));
    if (patch) await this.#d.writer.patchHostLabels(name, patch);
    return { requeueAfterMs: this.#d.refreshMs };
  }

  async #delete(name: string): Promise<void> {
    try {
      await this.#d.writer.deleteHost(name);
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw err;
    }
  }
}
