// Masks derived from the annotations, exactly as Xen's gen-cpuid.py builds them.

import { FEATURES, type Feature } from "./features.ts";
import { emptyFeatureset, setFeature, type Featureset } from "./featureset.ts";

export type GuestType = "pv" | "hvm";
export type PolicyLevel = "max" | "default";

/** A header's annotation of a feature; undefined when that header lacks the feature. */
type AnnotationOf = (f: Feature) => string | undefined;

function maskOf(annotationOf: AnnotationOf, pred: (annotation: string) => boolean): Featureset {
  const fs = emptyFeatureset();
  for (const f of FEATURES) {
    const a = annotationOf(f);
    if (a !== undefined && pred(a)) setFeature(fs, f);
  }
  return fs;
}

const has = (chars: string) => (a: string) => [...chars].some((c) => a.includes(c));

export interface FeatureMasks {
  /** the features the header has (Xen's known_features) */
  known: Featureset;
  guestMask: (guest: GuestType, level: PolicyLevel, hap?: boolean) => Featureset;
}

/** The known and guest masks of a cpufeatureset.h whose annotations are `annotationOf`. */
export function buildMasks(annotationOf: AnnotationOf): FeatureMasks {
  const m = (chars: string) => maskOf(annotationOf, has(chars));
  const pvDef = m("A");
  const pvMax = m("Aa");
  const hvm = { max: { hap: m("AaSsHh"), shadow: m("AaSs") }, default: { hap: m("ASH"), shadow: m("AS") } };
  return {
    known: maskOf(annotationOf, () => true),
    guestMask: (guest, level, hap = true) => (guest === "pv" ? (level === "max" ? pvMax : pvDef) : hvm[level][hap ? "hap" : "shadow"]),
  };
}

const master: AnnotationOf = (f) => f.annotation;
const MASTER = buildMasks(master);

export const KNOWN_FEATURES = MASTER.known;
export const SPECIAL_FEATURES = maskOf(master, has("!"));
export const SIMPLE_OR_FEATURES = maskOf(master, has("|"));
export const PV_DEF_MASK = MASTER.guestMask("pv", "default");
export const HVM_SHADOW_DEF_MASK = MASTER.guestMask("hvm", "default", false);
export const HVM_HAP_DEF_MASK = MASTER.guestMask("hvm", "default");
export const PV_MAX_MASK = MASTER.guestMask("pv", "max");
export const HVM_SHADOW_MAX_MASK = MASTER.guestMask("hvm", "max", false);
export const HVM_HAP_MAX_MASK = MASTER.guestMask("hvm", "max");

export const guestMask = MASTER.guestMask;
