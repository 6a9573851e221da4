// What enqueues a HostCpuidPolicy mirror reconcile (key: host id):
// - any change to the host in the index (added, republished, removed, stale,
//   fresh);
// - someone deleted the mirror of a host that still exists (it is recreated);
// - becoming leader, and every resync: every indexed and every mirrored host.

import type { HostEvent } from "../hosts/host-events.ts";
import type { HostIndex } from "../hosts/host-index.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import type { ControllerRegistration } from "../manager/manager.ts";
import { watch, type Queue, type Source } from "../manager/source.ts";
import type { HostMirrorReconciler } from "./reconciler.ts";

const HOST_WORKERS = 2;

export interface HostMirrorControllerDeps {
  reconciler: Pick<HostMirrorReconciler, "reconcile" | "sweepKeys">;
  hosts: Pick<HostIndex, "get">;
  hostEvents: Source<HostEvent>;
  mirrorDeletions: Source<HostCpuidPolicyObject>;
}

export function hostMirrorController(d: HostMirrorControllerDeps): ControllerRegistration {
  return {
    name: "host",
    workers: HOST_WORKERS,
    reconcile: (hostId) => d.reconciler.reconcile(hostId),
    resync: () => d.reconciler.sweepKeys(),
    watches: [watch(d.hostEvents, changedHost), watch(d.mirrorDeletions, mirroredHostStillIndexed(d.hosts))],
  };
}

function changedHost({ hostId }: HostEvent, queue: Queue): void {
  queue.add(hostId);
}

function mirroredHostStillIndexed(hosts: Pick<HostIndex, "get">): (obj: HostCpuidPolicyObject, queue: Queue) => void {
  return (obj, queue) => {
    const hostId = obj.status?.hostId;
    if (hostId && hosts.get(hostId)) queue.add(hostId);
  };
}
