// Evaluations of DomainCpuidPolicy specs, remembered per (host guest policies,
// request). Fleets repeat themselves: many hosts publish identical guest
// policies (same CPU, microcode and Xen) and many policies ask for the same
// features, so building, auditing and hashing each requested policy again per
// reconcile is waste. Keyed by the content hashes the controller computed
// itself, never by anything a host claims. Least recently used entries go first.
// Shared by the reconciler and the orphan reset, with the wire form of each
// requested policy (what a set request carries), made once.

import type { CpuPolicy } from "../../shared/policy/cpu-policy.ts";
import { serialisePolicy } from "../../shared/policy/serialise.ts";
import type { DomainCpuidPolicySpec } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { SerialisedPolicyJson } from "../../shared/schemas/policy.ts";
import { policyToJson } from "../../shared/policy/policy-json.ts";
import type { HostRecord } from "../../shared/hosts/host-record.ts";
import { evaluateDomainPolicy, type Evaluation } from "../../shared/domain-policy/evaluate.ts";
import type { PoolBaseline } from "../../shared/domain-policy/pool-baseline.ts";

const DEFAULT_CAPACITY = 1024;

export class EvaluationCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, Evaluation>();
  readonly #wire = new WeakMap<CpuPolicy, SerialisedPolicyJson>();

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /** The same result as evaluateDomainPolicy; treat it as read-only, it is shared. */
  evaluate(spec: DomainCpuidPolicySpec, host: HostRecord, pool?: PoolBaseline): Evaluation {
    const key = cacheKey(spec, host, pool);
    if (key === undefined) return evaluateDomainPolicy(spec, host, pool);
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const evaluation = evaluateDomainPolicy(spec, host, pool);
    this.#entries.set(key, evaluation);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return evaluation;
  }

  /** The policy as a set request carries it. */
  wireForm(policy: CpuPolicy): SerialisedPolicyJson {
    let wire = this.#wire.get(policy);
    if (!wire) this.#wire.set(policy, (wire = policyToJson(serialisePolicy(policy))));
    return wire;
  }
}

/** Everything the evaluation depends on; a full spec.policy (rare, large) and a pool without a level are not cached. */
function cacheKey(spec: DomainCpuidPolicySpec, host: HostRecord, pool: PoolBaseline | undefined): string | undefined {
  if (spec.policy) return undefined;
  let level = "";
  if (spec.baseline === "pool") {
    if (pool?.kind !== "level") return undefined;
    level = `${pool.guestType}:${pool.hash}`;
  }
  const [max, def] = spec.guestType === "pv" ? ["pv_max", "pv_default"] as const : ["hvm_max", "hvm_default"] as const;
  return [host.guestHashes[max], host.guestHashes[def], spec.guestType, spec.baseline, spec.pool ?? "", level, spec.enable.join(","), spec.disable.join(",")].join("|");
}
