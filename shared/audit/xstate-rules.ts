// Which xsave state components each feature needs (Xen's recalculate_xstate,
// whose TS form is shared/derive/xstate.ts), for auditing leaf 0xd.

import { featureByName, type Feature } from "../featureset/features.ts";
import { hasFeature } from "../featureset/featureset.ts";

export const XSTATE_FP_SSE = 0b11;
/** FXSAVE legacy area (512) + xsave header (64): the smallest uncompressed image */
export const XSTATE_AREA_MIN_SIZE = 576;
/** 0xd:i ecx flags: bit 0 "supervisor (XSS) state", bit 1 "64-byte aligned when compacted" */
export const XSTATE_ECX_XSS = 1 << 0;
export const XSTATE_ECX_ALIGN64 = 1 << 1;

const must = (name: string): Feature => featureByName(name)!;

export const XSAVE = must("xsave");
export const XSAVEC = must("xsavec");
export const XSAVES = must("xsaves");

/** Feature → the XCR0 components Xen enables for it (none of Xen's guest states are XSS-only). */
export const STATE_FEATURES: ReadonlyArray<{ feature: Feature; states: number; names: string }> = [
  { feature: must("avx"), states: 1 << 2, names: "YMM (2)" },
  { feature: must("mpx"), states: (1 << 3) | (1 << 4), names: "BNDREGS (3), BNDCSR (4)" },
  { feature: must("avx512f"), states: (1 << 5) | (1 << 6) | (1 << 7), names: "OPMASK (5), ZMM_Hi256 (6), Hi16_ZMM (7)" },
  { feature: must("pku"), states: 1 << 9, names: "PKRU (9)" },
  { feature: must("amx-tile"), states: (1 << 17) | (1 << 18), names: "TILECFG (17), TILEDATA (18)" },
];

export const ALL_GUEST_STATES = STATE_FEATURES.reduce((acc, s) => acc | s.states, XSTATE_FP_SSE) >>> 0;

/** The XCR0 states (low 32 bits; Xen offers none above bit 31) a featureset calls for. */
export function expectedXcr0(words: Uint32Array): number {
  if (!hasFeature(words, XSAVE)) return 0;
  let states = XSTATE_FP_SSE;
  for (const s of STATE_FEATURES) if (hasFeature(words, s.feature)) states |= s.states;
  return states >>> 0;
}

/** 0xd:i ecx flags a component may show given xsavec/xsaves. */
export function componentFlagsMask(words: Uint32Array): number {
  return (hasFeature(words, XSAVEC) ? XSTATE_ECX_ALIGN64 : 0) | (hasFeature(words, XSAVES) ? XSTATE_ECX_XSS : 0);
}
