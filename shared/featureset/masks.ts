// Masks derived from the annotations, exactly as Xen's gen-cpuid.py builds them.

import { FEATURES } from "./features.ts";
import { emptyFeatureset, setFeature, type Featureset } from "./featureset.ts";

function maskOf(pred: (annotation: string) => boolean): Featureset {
  const fs = emptyFeatureset();
  for (const f of FEATURES) if (pred(f.annotation)) setFeature(fs, f);
  return fs;
}

const has = (chars: string) => (a: string) => [...chars].some((c) => a.includes(c));

export const KNOWN_FEATURES = maskOf(() => true);
export const SPECIAL_FEATURES = maskOf(has("!"));
export const SIMPLE_OR_FEATURES = maskOf(has("|"));
export const PV_DEF_MASK = maskOf(has("A"));
export const HVM_SHADOW_DEF_MASK = maskOf(has("AS"));
export const HVM_HAP_DEF_MASK = maskOf(has("ASH"));
export const PV_MAX_MASK = maskOf(has("Aa"));
export const HVM_SHADOW_MAX_MASK = maskOf(has("AaSs"));
export const HVM_HAP_MAX_MASK = maskOf(has("AaSsHh"));

export type GuestType = "pv" | "hvm";
export type PolicyLevel = "max" | "default";

export function guestMask(guest: GuestType, level: PolicyLevel, hap = true): Featureset {
  if (guest === "pv") return level === "max" ? PV_MAX_MASK : PV_DEF_MASK;
  if (hap) return level === "max" ? HVM_HAP_MAX_MASK : HVM_HAP_DEF_MASK;
  return level === "max" ? HVM_SHADOW_MAX_MASK : HVM_SHADOW_DEF_MASK;
}
