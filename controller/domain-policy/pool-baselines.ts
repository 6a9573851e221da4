// The pools `baseline: pool` policies build from, read from the CpuidPool
// informer (shared/domain-policy/pool-baseline.ts). The stored level is
// parsed and its hash checked once per annotation text, not per reconcile;
// the members are read fresh from the pool's status each time.

import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import { poolBaseline, type PoolBaseline } from "../../shared/domain-policy/pool-baseline.ts";
import { LEVEL_ANNOTATION } from "../../shared/pool/level-annotation.ts";
import type { ResilientInformer } from "../kube/informer.ts";

export class PoolBaselines {
  readonly #pools: Pick<ResilientInformer<CpuidPoolObject>, "get">;
  readonly #parsed = new Map<string, { key: string; baseline: PoolBaseline }>();

  constructor(pools: Pick<ResilientInformer<CpuidPoolObject>, "get">) {
    this.#pools = pools;
  }

  get(name: string): PoolBaseline {
    const pool = this.#pools.get(name);
    if (!pool) {
      this.#parsed.delete(name);
      return poolBaseline(name, undefined);
    }
    const key = `${pool.spec.guestType}|${pool.metadata.annotations?.[LEVEL_ANNOTATION] ?? ""}`;
    let cached = this.#parsed.get(name);
    if (cached?.key !== key) this.#parsed.set(name, (cached = { key, baseline: poolBaseline(name, pool) }));
    return cached.baseline.kind === "level" ? { ...cached.baseline, members: pool.status?.members ?? [] } : cached.baseline;
  }
}
