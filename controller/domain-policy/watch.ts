// What enqueues a DomainCpuidPolicy reconcile (key: namespace/name):
// - the policy is created, or changes its spec (a new generation) or starts
//   being deleted; not its status alone: that is this controller's own write;
// - a rival policy naming the same host and domain comes, goes or moves
//   (which of them governs may change);
// - its host is added, republishes, is removed or is heard from again after
//   being stale (staleness alone changes nothing about the audit);
// - the CpuidPool its spec.pool names comes, goes, or changes its stored
//   level or its members (baseline pool builds from them);
// - a rollout's wave reaches it or leaves it (rollout layers changed);
// - becoming leader, and every resync.

import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import { LEVEL_ANNOTATION } from "../../shared/pool/level-annotation.ts";
import type { HostEvent } from "../hosts/host-events.ts";
import type { ResilientInformer } from "../kube/informer.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { objectKey } from "../kube/resources.ts";
import type { ControllerRegistration } from "../manager/manager.ts";
import { Marks, type ObjectChange } from "../manager/object-change.ts";
import { watch, type Queue, type Source } from "../manager/source.ts";
import type { HandlerResult } from "../runtime/work-queue.ts";
import type { PolicyEvent, PolicyEvents } from "./policy-events.ts";
import type { PolicyIndex } from "./policy-index.ts";

export interface DomainPolicyControllerDeps {
  reconciler: { reconcile(key: string): Promise<HandlerResult> };
  informer: Pick<ResilientInformer<DomainCpuidPolicyObject>, "list">;
  policies: PolicyIndex;
  policyEvents: PolicyEvents;
  hostEvents: Source<HostEvent>;
  poolChanges: Source<ObjectChange<CpuidPoolObject>>;
  /** policies whose rollout layers changed */
  layerChanges: Source<readonly string[]>;
  workers: number;
}

export function domainPolicyController(d: DomainPolicyControllerDeps): ControllerRegistration {
  return {
    name: "domain",
    workers: d.workers,
    reconcile: (key) => d.reconciler.reconcile(key),
    resync: () => d.informer.list().map((obj) => objectKey(obj.metadata)),
    watches: [
      watch(d.policyEvents, policyAndRivals(new GenerationOrDeletionChanged())),
      watch(d.hostEvents, policiesOnChangedHost(d.policies)),
      watch(d.poolChanges, policiesOfChangedPool(d.informer)),
      watch(d.layerChanges, (keys, queue) => {
        for (const key of keys) queue.add(key);
      }),
    ],
  };
}

function policiesOfChangedPool(informer: Pick<ResilientInformer<DomainCpuidPolicyObject>, "list">): (e: ObjectChange<CpuidPoolObject>, queue: Queue) => void {
  const marks = new Marks<CpuidPoolObject>((o) => [o.spec.guestType, o.metadata.annotations?.[LEVEL_ANNOTATION] ?? null, o.status?.members ?? null]);
  return (e, queue) => {
    if (!marks.changed(e)) return;
    const name = e.obj.metadata.name;
    for (const obj of informer.list()) {
      const spec = obj.spec as { baseline?: unknown; pool?: unknown } | null;
      if (spec?.baseline === "pool" && spec.pool === name) queue.add(objectKey(obj.metadata));
    }
  };
}

function policyAndRivals(specChanged: GenerationOrDeletionChanged): (e: PolicyEvent, queue: Queue) => void {
  return (e, queue) => {
    for (const rival of e.rivals) queue.add(rival);
    if (e.type === "deleted") {
      specChanged.forget(e.key);
      queue.forget(e.key);
      return;
    }
    if (specChanged.check(e.key, e.obj) || e.type === "added") queue.add(e.key);
  };
}

function policiesOnChangedHost(policies: PolicyIndex): (e: HostEvent, queue: Queue) => void {
  return ({ hostId, change }, queue) => {
    if (change === "stale") return;
    for (const key of policies.keysOnHost(hostId)) queue.add(key);
  };
}

/** Remembers each policy's generation and deletion mark, to tell a spec change or deletion from a status-only update. */
class GenerationOrDeletionChanged {
  readonly #seen = new Map<string, string>();

  /** Records the object's marks; true when they differ from the last recorded. */
  check(key: string, obj: DomainCpuidPolicyObject): boolean {
    const marks = JSON.stringify([obj.metadata.generation, obj.metadata.deletionTimestamp ?? null]);
    if (this.#seen.get(key) === marks) return false;
    this.#seen.set(key, marks);
    return true;
  }

  forget(key: string): void {
    this.#seen.delete(key);
  }
}
