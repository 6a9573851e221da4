// A DomainCpuidPolicy's effective request: its spec plus the rollouts whose
// waves have reached it, applied in order (oldest rollout first). A layer
// turns its features on or off over what the spec (and earlier layers) ask;
// the spec itself is never written. Pure.

import type { RolloutWave } from "../api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicySpec } from "../api/v1alpha1/domain-cpuid-policy.ts";

/** A wave's policies carry the layer in these phases. */
export const REACHED: ReadonlySet<RolloutWave["phase"]> = new Set(["Progressing", "Settled"]);

export interface RolloutLayer {
  rollout: string;
  enable: readonly string[];
  disable: readonly string[];
}

export function layeredSpec(spec: DomainCpuidPolicySpec, layers: readonly RolloutLayer[]): DomainCpuidPolicySpec {
  if (layers.length === 0 || spec.policy) return spec;
  const enable = new Set(spec.enable);
  const disable = new Set(spec.disable);
  for (const layer of layers) {
    for (const f of layer.enable) {
      enable.add(f);
      disable.delete(f);
    }
    for (const f of layer.disable) {
      disable.add(f);
      enable.delete(f);
    }
  }
  return { ...spec, enable: [...enable], disable: [...disable] };
}
