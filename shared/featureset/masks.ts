// Masks derived from the annotations, exactly as Xen's gen-cpuid.py builds them.

import { FEATURES, type Feature } from "./features.ts";
import { emptyFeatureset, setFeature, type Featureset } from "./featureset.ts";

export type GuestType = "pv" | "hvm";
export type PolicyLevel = "max" | "default";

/** A header's annotation of a feature; undefined when that header lacks the feature. */
type AnnotationOf = (f: Feature) => string | undefined;

/** True when the annotation has any of chars (a plain loop: every mask of every release is built at start-up). */
function hasAny(annotation: string, chars: string): boolean {
  for (let i = 0; i < chars.length; i++) if (annotation.includes(chars[i])) return true;
  return false;
}

function maskOf(annotationOf: AnnotationOf, chars: string): Featureset {
  const fs = emptyFeatureset();
  for (const f of FEATURES) {
    const a = annotationOf(f);
    if (a !== undefined && hasAny(a, chars)) setFeature(fs, f);
  }
  return fs;
}

export interface FeatureMasks {
  /** the features the header has (Xen's known_features) */
  known: Featureset;
  guestMask: (guest: GuestType, level: PolicyLevel, hap?: boolean) => Featureset;
}

/** The known and guest masks of a cpufeatureset.h whose annotations are `annotationOf`, in one pass over the features. */
export function buildMasks(annotationOf: AnnotationOf): FeatureMasks {
  const known = emptyFeatureset();
  const pvDef = emptyFeatureset();
  const pvMax = emptyFeatureset();
  const hvm = {
    max: { hap: emptyFeatureset(), shadow: emptyFeatureset() },
    default: { hap: emptyFeatureset(), shadow: emptyFeatureset() },
  };
  const masks: ReadonlyArray<readonly [Featureset, string]> = [
    [pvDef, "A"],
    [pvMax, "Aa"],
    [hvm.max.hap, "AaSsHh"],
    [hvm.max.shadow, "AaSs"],
    [hvm.default.hap, "ASH"],
    [hvm.default.shadow, "AS"],
  ];
  for (const f of FEATURES) {
    const a = annotationOf(f);
    if (a === undefined) continue;
    setFeature(known, f);
    for (const [mask, chars] of masks) if (hasAny(a, chars)) setFeature(mask, f);
  }
  return {
    known,
    guestMask: (guest, level, hap = true) => (guest === "pv" ? (level === "max" ? pvMax : pvDef) : hvm[level][hap ? "hap" : "shadow"]),
  };
}

const master: AnnotationOf = (f) => f.annotation;
/** Xen master's masks (shared/derive/release.ts describes other releases by their differences) */
export const MASTER_MASKS = buildMasks(master);

export const KNOWN_FEATURES = MASTER_MASKS.known;
export const SPECIAL_FEATURES = maskOf(master, "!");
export const SIMPLE_OR_FEATURES = maskOf(master, "|");
export const PV_DEF_MASK = MASTER_MASKS.guestMask("pv", "default");
export const HVM_SHADOW_DEF_MASK = MASTER_MASKS.guestMask("hvm", "default", false);
export const HVM_HAP_DEF_MASK = MASTER_MASKS.guestMask("hvm", "default");
export const PV_MAX_MASK = MASTER_MASKS.guestMask("pv", "max");
export const HVM_SHADOW_MAX_MASK = MASTER_MASKS.guestMask("hvm", "max", false);
export const HVM_HAP_MAX_MASK = MASTER_MASKS.guestMask("hvm", "max");

export const guestMask = MASTER_MASKS.guestMask;
