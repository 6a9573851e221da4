// What enqueues a CpuidPool reconcile (key: pool name):
// - the pool is created or changes (spec, or the relevel-confirm annotation);
//   not its status alone, nor the pinned level it just wrote;
// - a HostCpuidPolicy comes, goes or changes labels (membership may change);
// - a host is added, republishes or is removed from the index (its guest max);
// - becoming leader, and every resync.

import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { RELEVEL_CONFIRM_ANNOTATION } from "../../shared/pool/level-annotation.ts";
import type { HostEvent } from "../hosts/host-events.ts";
import type { ControllerRegistration } from "../manager/manager.ts";
import { Marks, type ObjectChange } from "../manager/object-change.ts";
import { watch, type Queue, type Source } from "../manager/source.ts";
import type { PoolReconciler } from "./reconciler.ts";

const POOL_WORKERS = 1;

export interface PoolControllerDeps {
  reconciler: Pick<PoolReconciler, "reconcile">;
  pools: { list(): readonly CpuidPoolObject[] };
  poolChanges: Source<ObjectChange<CpuidPoolObject>>;
  hostObjectChanges: Source<ObjectChange<HostCpuidPolicyObject>>;
  hostEvents: Source<HostEvent>;
}

export function poolController(d: PoolControllerDeps): ControllerRegistration {
  const all = (queue: Queue) => {
    for (const p of d.pools.list()) queue.add(p.metadata.name!);
  };
  const poolMarks = new Marks<CpuidPoolObject>((o) => [o.metadata.generation, o.metadata.annotations?.[RELEVEL_CONFIRM_ANNOTATION]]);
  const labelMarks = new Marks<HostCpuidPolicyObject>((o) => o.metadata.labels ?? {});
  return {
    name: "pool",
    workers: POOL_WORKERS,
    reconcile: (name) => d.reconciler.reconcile(name),
    resync: () => d.pools.list().map((p) => p.metadata.name!),
    watches: [
      watch(d.poolChanges, (e, queue) => {
        if (poolMarks.changed(e)) queue.add(e.obj.metadata.name!);
      }),
      watch(d.hostObjectChanges, (e, queue) => {
        if (labelMarks.changed(e)) all(queue);
      }),
      watch(d.hostEvents, ({ change }, queue) => {
        if (change === "added" || change === "updated" || change === "removed") all(queue);
      }),
    ],
  };
}
