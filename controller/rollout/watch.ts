// What enqueues a CpuidRollout reconcile (key: rollout name):
// - the rollout is created, changes its spec, is asked to resume or starts
//   being deleted; not its own status write;
// - any rollout changes: rollouts waiting for another one to finish re-plan;
// - a DomainCpuidPolicy in its plan changes (its status says how the wave
//   goes), gathered for a moment so a wave of thousands of policies costs a
//   few reconciles, not one each;
// - becoming leader, and every resync.

import type { CpuidRolloutObject } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { PolicyEvent } from "../domain-policy/policy-events.ts";
import type { ControllerRegistration } from "../manager/manager.ts";
import { Marks, type ObjectChange } from "../manager/object-change.ts";
import { watch, type Queue, type Source } from "../manager/source.ts";
import type { RolloutLayers } from "./rollout-layers.ts";
import type { RolloutReconciler } from "./reconciler.ts";
import { RESUME_ANNOTATION } from "../../shared/api/v1alpha1/cpuid-rollout.ts";

const GATHER_MS = 500;

export interface RolloutControllerDeps {
  reconciler: Pick<RolloutReconciler, "reconcile">;
  rollouts: { list(): readonly CpuidRolloutObject[] };
  rolloutChanges: Source<ObjectChange<CpuidRolloutObject>>;
  policyEvents: Source<PolicyEvent>;
  layers: Pick<RolloutLayers, "plannedIn">;
}

export function rolloutController(d: RolloutControllerDeps): ControllerRegistration {
  const marks = new Marks<CpuidRolloutObject>((o) => [o.metadata.generation, o.metadata.annotations?.[RESUME_ANNOTATION] ?? null, o.metadata.deletionTimestamp ?? null]);
  const gathered = new Set<string>();
  let flush: NodeJS.Timeout | undefined;
  const later = (queue: Queue, names: readonly string[]) => {
    for (const n of names) gathered.add(n);
    flush ??= setTimeout(() => {
      flush = undefined;
      for (const n of gathered) queue.add(n);
      gathered.clear();
    }, GATHER_MS).unref();
  };
  return {
    name: "rollout",
    workers: 1,
    reconcile: (name) => d.reconciler.reconcile(name),
    resync: () => d.rollouts.list().map((r) => r.metadata.name!),
    watches: [
      watch(d.rolloutChanges, (e, queue) => {
        if (marks.changed(e)) queue.add(e.obj.metadata.name!);
        for (const r of d.rollouts.list()) if (!r.status?.waves && r.metadata.name !== e.obj.metadata.name) queue.add(r.metadata.name!);
      }),
      watch(d.policyEvents, (e, queue) => {
        const names = d.layers.plannedIn(e.key);
        if (names.length) later(queue, names);
      }),
    ],
  };
}
