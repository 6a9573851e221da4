// Which rollouts' layers each DomainCpuidPolicy carries, from the rollouts'
// stored statuses: a policy carries a rollout's planned change while the wave
// it is in is Progressing or Settled (./rollout-status.ts). Also which
// rollouts planned each policy at all (whose progress its status changes).
// Kept in step with the rollout informer on every replica; each update
// returns the policies whose layers changed, for the domain policy watch.

import type { CpuidRolloutObject } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import { REACHED, type RolloutLayer } from "../../shared/rollout/layer.ts";

interface Reach {
  layer: RolloutLayer;
  /** creationTimestamp then name: the order layers apply in */
  order: string;
  policies: ReadonlySet<string>;
}

export class RolloutLayers {
  readonly #reach = new Map<string, Reach>();
  #byPolicy = new Map<string, RolloutLayer[]>();
  readonly #planned = new Map<string, ReadonlySet<string>>();

  /** The layers of a policy (namespace/name), oldest rollout first; read-only. */
  of(key: string): readonly RolloutLayer[] {
    return this.#byPolicy.get(key) ?? [];
  }

  /** The rollouts whose plan holds this policy. */
  plannedIn(key: string): string[] {
    const out: string[] = [];
    for (const [name, keys] of this.#planned) if (keys.has(key)) out.push(name);
    return out;
  }

  /** Records a rollout as stored (or its deletion); returns the policies whose layers changed. */
  update(obj: CpuidRolloutObject, deleted: boolean): string[] {
    const name = obj.metadata.name!;
    const waves = deleted ? undefined : obj.status?.waves;
    if (waves && !this.#planned.has(name)) this.#planned.set(name, new Set(waves.flatMap((w) => w.policies)));
    if (!waves) this.#planned.delete(name);
    const before = this.#reach.get(name);
    const after = deleted ? undefined : reachOf(obj);
    if (after) this.#reach.set(name, after);
    else this.#reach.delete(name);
    const changed = new Set<string>();
    const sameLayer = before && after && before.layer.enable.join() === after.layer.enable.join() && before.layer.disable.join() === after.layer.disable.join();
    for (const k of before?.policies ?? []) if (!sameLayer || !after.policies.has(k)) changed.add(k);
    for (const k of after?.policies ?? []) if (!sameLayer || !before.policies.has(k)) changed.add(k);
    if (changed.size > 0) this.#rebuild();
    return [...changed];
  }

  #rebuild(): void {
    const byPolicy = new Map<string, RolloutLayer[]>();
    const ordered = [...this.#reach.values()].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    for (const r of ordered) {
      for (const k of r.policies) {
        const list = byPolicy.get(k);
        if (list) list.push(r.layer);
        else byPolicy.set(k, [r.layer]);
      }
    }
    this.#byPolicy = byPolicy;
  }
}

function reachOf(obj: CpuidRolloutObject): Reach | undefined {
  const { waves, change } = obj.status ?? {};
  if (!waves || !change) return undefined;
  const policies = new Set<string>();
  for (const w of waves) if (REACHED.has(w.phase)) for (const k of w.policies) policies.add(k);
  if (policies.size === 0) return undefined;
  const created = obj.metadata.creationTimestamp ? new Date(obj.metadata.creationTimestamp).toISOString() : "";
  return { layer: { rollout: obj.metadata.name!, enable: change.enable, disable: change.disable }, order: `${created}|${obj.metadata.name}`, policies };
}
