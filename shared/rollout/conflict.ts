// Two rollouts must not change the same feature of the same policy at once:
// the second one waits until the first is deleted or rolled back. Shared by
// the controller (which holds the second one in WaitingForRollout) and
// `cpuidctl rollout plan` (which says so before it is applied). Pure.

import type { CpuidRolloutObject, CpuidRolloutSpec } from "../api/v1alpha1/cpuid-rollout.ts";

export interface RolloutConflict {
  /** the rollout planned first */
  name: string;
  /** the features both change */
  features: string[];
  /** how many of the wanted policies its plan holds */
  policies: number;
}

/** Another rollout that has planned (and not rolled back) a change of the same feature in some of the same policies. */
export function conflictingRollout(name: string, spec: Pick<CpuidRolloutSpec, "enable" | "disable">, keys: readonly string[], others: readonly CpuidRolloutObject[]): RolloutConflict | undefined {
  const mine = new Set([...spec.enable, ...spec.disable]);
  const wanted = new Set(keys);
  for (const other of others) {
    if (other.metadata.name === name || !other.status?.waves || other.status.conditions?.find((c) => c.type === "RolledBack")?.status === "True") continue;
    const change = other.status.change;
    const features = [...(change?.enable ?? []), ...(change?.disable ?? [])].filter((f) => mine.has(f));
    if (features.length === 0) continue;
    let policies = 0;
    for (const w of other.status.waves) for (const k of w.policies) if (wanted.has(k)) policies++;
    if (policies > 0) return { name: other.metadata.name!, features, policies };
  }
  return undefined;
}
