// What enqueues a sweep of a host for domains no policy governs any more
// (./orphan-reset.ts; key: host id):
// - a policy on it is deleted, or moves to another host or domain (or its
//   spec stops naming one);
// - the host is added, republishes or is heard from again after being stale;
// - a set request was in flight while its policy changed (the domain policy
//   reconciler adds the host itself, through the queue register returns);
// - becoming leader, and every resync: every known host.

import type { HostEvent } from "../hosts/host-events.ts";
import type { HostIndex } from "../hosts/host-index.ts";
import type { ControllerRegistration } from "../manager/manager.ts";
import { watch, type Queue, type Source } from "../manager/source.ts";
import type { OrphanReset } from "./orphan-reset.ts";
import type { PolicyEvent, PolicyEvents } from "./policy-events.ts";

const SWEEP_WORKERS = 4;

export interface OrphanResetControllerDeps {
  orphans: Pick<OrphanReset, "sweepHost" | "noteDeleted">;
  hosts: Pick<HostIndex, "hostIds">;
  policyEvents: PolicyEvents;
  hostEvents: Source<HostEvent>;
}

export function orphanResetController(d: OrphanResetControllerDeps): ControllerRegistration {
  return {
    name: "sweep",
    workers: SWEEP_WORKERS,
    reconcile: (hostId) => d.orphans.sweepHost(hostId),
    resync: () => d.hosts.hostIds(),
    watches: [watch(d.policyEvents, hostLeftByPolicy(d.orphans)), watch(d.hostEvents, hostBackOrChanged)],
  };
}

function hostLeftByPolicy(orphans: Pick<OrphanReset, "noteDeleted">): (e: PolicyEvent, queue: Queue) => void {
  return ({ type, obj, previous, current }, queue) => {
    if (!previous) return;
    if (type === "deleted") {
      // remembered only when a sweep follows, to name the policy in its event
      if (!queue.active) return;
      orphans.noteDeleted(obj);
      queue.add(previous.host);
    } else if (previous.host !== current?.host || previous.domain !== current?.domain) {
      queue.add(previous.host);
    }
  };
}

function hostBackOrChanged({ hostId, change }: HostEvent, queue: Queue): void {
  if (change !== "stale" && change !== "removed") queue.add(hostId);
}
