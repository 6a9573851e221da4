// Xen's boot-time capability bookkeeping (boot_cpu_data.x86_capability with
// forced_caps / cleared_caps): setup_force_cpu_cap and setup_clear_cpu_cap.

import { DEEP_DEPENDENTS } from "../featureset/dependencies.ts";
import type { Feature } from "../featureset/features.ts";
import { emptyFeatureset, hasFeature, setFeature, type Featureset } from "../featureset/featureset.ts";

export interface CapState {
  caps: Featureset;
  forced: Featureset;
  cleared: Featureset;
}

export function newCapState(caps: Featureset): CapState {
  return { caps, forced: emptyFeatureset(), cleared: emptyFeatureset() };
}

/** setup_force_cpu_cap: refused once the feature was cleared. */
export function forceCap(s: CapState, f: Feature): void {
  if (hasFeature(s.forced, f)) return;
  setFeature(s.forced, f);
  if (hasFeature(s.cleared, f)) return;
  setFeature(s.caps, f);
}

/** setup_clear_cpu_cap: clears the feature and everything depending on it, for good. */
export function clearCap(s: CapState, f: Feature): void {
  if (hasFeature(s.cleared, f)) return;
  setFeature(s.cleared, f);
  setFeature(s.caps, f, false);
  const deps = DEEP_DEPENDENTS.get(f.value);
  if (!deps) return;
  for (let i = 0; i < deps.length; i++) {
    s.cleared[i] |= deps[i];
    s.caps[i] &= ~deps[i];
  }
}

/** Xen's is_forced_cpu_cap: the feature was forced or cleared explicitly. */
export const isForcedCap = (s: CapState, f: Feature) => hasFeature(s.forced, f) || hasFeature(s.cleared, f);

/** The end of identify_cpu: forced features on, cleared ones off. */
export function applyForcedAndCleared(s: CapState): void {
  for (let i = 0; i < s.caps.length; i++) s.caps[i] = (s.caps[i] | s.forced[i]) & ~s.cleared[i];
}
