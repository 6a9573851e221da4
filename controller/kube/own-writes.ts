// Objects as this replica last wrote them, until the informer shows the
// write. Without it a reconcile right after a status write decides on the
// copy from before that write: a rollout's write would be refused by the
// resourceVersion guard (409), a whole plan's worth of request body for
// nothing; a domain policy's would count an audit failure, or send an event,
// twice. Versions, not "this replica is the only writer": another replica
// may have led and written meanwhile (a leader that lost its lease to an
// unreachable apiserver, then won it back), and then its copy counts.

import type { V1ObjectMeta } from "@kubernetes/client-node";

interface Versioned {
  metadata: Pick<V1ObjectMeta, "name" | "namespace" | "resourceVersion">;
}

const keyOf = (metadata: Versioned["metadata"]) => `${metadata.namespace ?? ""}/${metadata.name}`;

export class OwnWrites<T extends Versioned> {
  /** per object: what this replica stored last, and the versions its writes replaced since the informer last caught up */
  readonly #written = new Map<string, { replaced: ReadonlySet<string | undefined>; stored: T }>();

  /**
   * The copy to decide on: the one this replica stored while the informer
   * still shows a version its writes replaced; otherwise the informer's (it
   * caught up, or someone else wrote since).
   */
  current(cached: T): T {
    const key = keyOf(cached.metadata);
    const own = this.#written.get(key);
    if (own?.replaced.has(cached.metadata.resourceVersion)) return own.stored;
    this.#written.delete(key);
    return cached;
  }

  /** `stored`, as the apiserver returned it, replaced `replaced` (the copy the write was decided on). */
  wrote(replaced: T, stored: T): void {
    const key = keyOf(stored.metadata);
    const own = this.#written.get(key);
    const earlier = own?.stored === replaced ? own.replaced : [];
    this.#written.set(key, { replaced: new Set([...earlier, replaced.metadata.resourceVersion]), stored });
  }

  forget(metadata: Versioned["metadata"]): void {
    this.#written.delete(keyOf(metadata));
  }
}
