// A featureset is 19 32-bit words (Xen's uint32_t fs[FEATURESET_NR_ENTRIES]).
// All operations are allocation-light plain functions.

import { FEATURES, featureByName, type Feature } from "./features.ts";
import { FEATURESET_WORDS } from "./words.ts";

export type Featureset = Uint32Array;

export function emptyFeatureset(): Featureset {
  return new Uint32Array(FEATURESET_WORDS);
}

export function copyFeatureset(fs: Featureset): Featureset {
  return new Uint32Array(fs);
}

export function hasFeature(fs: Featureset, f: Feature): boolean {
  return (fs[f.word] & (1 << f.bit)) !== 0;
}

export function setFeature(fs: Featureset, f: Feature, on = true): void {
  if (on) fs[f.word] |= 1 << f.bit;
  else fs[f.word] &= ~(1 << f.bit);
}

export function featuresetFromNames(names: Iterable<string>): Featureset {
  const fs = emptyFeatureset();
  for (const n of names) {
    const f = featureByName(n);
    if (!f) throw new Error(`unknown feature "${n}"`);
    setFeature(fs, f);
  }
  return fs;
}

/** Names of the known features set in fs, in ABI (word, bit) order. */
export function featureNames(fs: Featureset): string[] {
  const out: string[] = [];
  for (const f of FEATURES) if (hasFeature(fs, f)) out.push(f.name);
  return out;
}

export function andFeatureset(a: Featureset, b: Featureset): Featureset {
  const r = emptyFeatureset();
  for (let i = 0; i < FEATURESET_WORDS; i++) r[i] = a[i] & b[i];
  return r;
}

export function andNotFeatureset(a: Featureset, b: Featureset): Featureset {
  const r = emptyFeatureset();
  for (let i = 0; i < FEATURESET_WORDS; i++) r[i] = a[i] & ~b[i];
  return r;
}

export function isSubset(a: Featureset, b: Featureset): boolean {
  for (let i = 0; i < FEATURESET_WORDS; i++) if ((a[i] & ~b[i]) !== 0) return false;
  return true;
}

export function featuresetEquals(a: Featureset, b: Featureset): boolean {
  for (let i = 0; i < FEATURESET_WORDS; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** xen-cpuid style: 19 words of 8 lowercase hex digits joined by ":". */
export function formatFeatureset(fs: Featureset): string {
  return Array.from(fs, (w) => w.toString(16).padStart(8, "0")).join(":");
}

/**
 * Parse "xxxxxxxx:xxxxxxxx:…" (also "-" separated, as xen-cpuid accepts).
 * Fewer words than 19 are zero-extended (older Xen); more is an error.
 */
export function parseFeatureset(text: string): Featureset {
  const parts = text.trim().split(/[:-]/);
  if (parts.length > FEATURESET_WORDS) {
    throw new Error(`featureset has ${parts.length} words, at most ${FEATURESET_WORDS} are defined`);
  }
  const fs = emptyFeatureset();
  parts.forEach((p, i) => {
    if (!/^[0-9a-fA-F]{1,8}$/.test(p)) throw new Error(`featureset word ${i} "${p}" is not 1-8 hex digits`);
    fs[i] = parseInt(p, 16) >>> 0;
  });
  return fs;
}
