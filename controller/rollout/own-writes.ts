// The rollouts as this replica last wrote them, until the informer shows the
// write. Without it a reconcile right after a status write (a wave's policies
// report every half second) decides on the copy from before that write, and
// its write is refused by the resourceVersion guard (409), a whole plan's
// worth of request body for nothing, then retried after a backoff.

import type { CpuidRolloutObject } from "../../shared/api/v1alpha1/cpuid-rollout.ts";

export class OwnWrites {
  /** per rollout: what this replica stored last, and the versions its writes replaced since the informer last caught up */
  readonly #written = new Map<string, { replaced: ReadonlySet<string | undefined>; stored: CpuidRolloutObject }>();

  /**
   * The copy to decide on: the one this replica stored while the informer
   * still shows a version its writes replaced; otherwise the informer's (it
   * caught up, or someone else wrote since).
   */
  current(cached: CpuidRolloutObject): CpuidRolloutObject {
    const name = cached.metadata.name!;
    const own = this.#written.get(name);
    if (own?.replaced.has(cached.metadata.resourceVersion)) return own.stored;
    this.#written.delete(name);
    return cached;
  }

  /** `stored`, as the apiserver returned it, replaced `replaced` (the copy the write was decided on). */
  wrote(replaced: CpuidRolloutObject, stored: CpuidRolloutObject): void {
    const name = stored.metadata.name!;
    const own = this.#written.get(name);
    const earlier = own?.stored === replaced ? own.replaced : [];
    this.#written.set(name, { replaced: new Set([...earlier, replaced.metadata.resourceVersion]), stored });
  }

  forget(name: string): void {
    this.#written.delete(name);
  }
}
