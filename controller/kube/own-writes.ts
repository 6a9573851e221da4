// Objects as this replica last wrote them, until the informer shows the
// write. Without it a reconcile right after a status write decides on the
// copy from before that write: a rollout's write would be refused by the
// resourceVersion guard (409), a whole plan's worth of request body for
// nothing; a domain policy's would count an audit failure, or send an event,
// twice. Versions, not "this replica is the only writer": another replica
// may have led and written meanwhile (a leader that lost its lease to an
// unreachable apiserver, then won it back), and then its copy counts.
//
// A stored copy may be kept as the apiserver's JSON answer, parsed only if a
// reconcile needs it before the informer catches up (rarely: parsing every
// answer cost the controller about 3 % of its CPU at fleet scale).

import type { V1ObjectMeta } from "@kubernetes/client-node";
import { parseJson } from "./kube-rest.ts";

interface Versioned {
  metadata: Pick<V1ObjectMeta, "name" | "namespace" | "resourceVersion">;
}

const keyOf = (metadata: Versioned["metadata"]) => `${metadata.namespace ?? ""}/${metadata.name}`;

export class OwnWrites<T extends Versioned> {
  /** per object: what this replica stored last (or its JSON), and the versions its writes replaced since the informer last caught up */
  readonly #written = new Map<string, { replaced: ReadonlySet<string | undefined>; stored: T | string }>();

  /**
   * The copy to decide on: the one this replica stored while the informer
   * still shows a version its writes replaced; otherwise the informer's (it
   * caught up, or someone else wrote since).
   */
  current(cached: T): T {
    const key = keyOf(cached.metadata);
    const own = this.#written.get(key);
    if (own?.replaced.has(cached.metadata.resourceVersion)) {
      if (typeof own.stored === "string") own.stored = (parseJson(own.stored) as T | undefined) ?? cached;
      return own.stored;
    }
    this.#written.delete(key);
    return cached;
  }

  /** `stored`, as the apiserver returned it (the object, or its JSON), replaced `replaced` (the copy the write was decided on). */
  wrote(replaced: T, stored: T | string): void {
    const key = keyOf(replaced.metadata);
    const own = this.#written.get(key);
    const earlier = own?.stored === replaced ? own.replaced : [];
    this.#written.set(key, { replaced: new Set([...earlier, replaced.metadata.resourceVersion]), stored });
  }

  /** The informer shows `cached`: forgets the stored copy once that is past this replica's writes. */
  caughtUp(cached: T): void {
    const key = keyOf(cached.metadata);
    if (!this.#written.get(key)?.replaced.has(cached.metadata.resourceVersion)) this.#written.delete(key);
  }

  forget(metadata: Versioned["metadata"]): void {
    this.#written.delete(keyOf(metadata));
  }
}
