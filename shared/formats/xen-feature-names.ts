// Feature names as `xen-cpuid detail` prints them. Since 4.19 it uses the
// generated names (Xen's cpufeatureset.h, lowercase, "-"); before, a
// hand-kept table per word (tools/misc/xen-cpuid.c) whose names differ for
// some bits, name bits Xen has no feature for, and reuse "ppin" in two words.

import { featureByName, featureByValue, type Feature } from "../featureset/features.ts";

/** [word, bit, name in the pre-4.19 table] where it is not the generated name. */
const OLD_NAMES: ReadonlyArray<readonly [number, number, string]> = [
  [0, 11, "sysenter"],
  [0, 18, "psn"],
  [0, 29, "tm"],
  [0, 30, "ia64"],
  [1, 4, "ds-cpl"],
  [1, 7, "est"],
  [1, 10, "cntx-id"],
  [1, 11, "sdgb"],
  [1, 19, "sse41"],
  [1, 20, "sse42"],
  [1, 22, "movebe"],
  [1, 24, "tsc-dl"],
  [1, 30, "rdrnd"],
  [1, 31, "hyper"],
  // 0x80000001.edx repeats the AMD copies of leaf 1 edx bits under their leaf-1 names
  ...(
    [
      [0, "fpu"], [1, "vme"], [2, "de"], [3, "pse"], [4, "tsc"], [5, "msr"], [6, "pae"], [7, "mce"], [8, "cx8"],
      [9, "apic"], [12, "mtrr"], [13, "pge"], [14, "mca"], [15, "cmov"], [17, "pse36"], [23, "mmx"], [24, "fxsr"],
    ] as const
  ).map(([bit, name]) => [2, bit, name] as const),
  [2, 16, "fcmov"],
  [2, 19, "mp"],
  [2, 22, "mmx+"],
  [2, 25, "fxsr+"],
  [2, 26, "pg1g"],
  [2, 30, "3dnow+"],
  [3, 1, "cmp"],
  [3, 4, "cr8d"],
  [3, 5, "lzcnt"],
  [3, 7, "msse"],
  [3, 8, "3dnowpf"],
  [3, 17, "tce"],
  [3, 19, "nodeid"],
  [3, 23, "perfctr-core"],
  [3, 24, "perfctr-nb"],
  [3, 26, "dbx"],
  [3, 27, "perftsc"],
  [3, 28, "pcx-l2i"],
  [5, 1, "tsc-adj"],
  [5, 6, "fdp-exn"],
  [5, 13, "depfpp"],
  [5, 22, "pcommit"],
  [5, 25, "pt"],
  [8, 23, "ppin"],
  [11, 2, "lfence+"],
  [12, 0, "ppin"],
  [16, 11, "energy-ctrl"],
];

/** Old tables also used "_" where the generated names use "-" (lahf_lm, avx512_vbmi, l1d_flush…). */
const normalise = (name: string) => name.toLowerCase().replace(/_/g, "-");

const oldByWord = new Map<number, Map<string, number>>();
for (const [word, bit, name] of OLD_NAMES) {
  let names = oldByWord.get(word);
  if (!names) oldByWord.set(word, (names = new Map<string, number>()));
  names.set(name, bit);
}

const UNNAMED_BIT = /^<(\d{1,2})>$/;

/**
 * The bit of featureset word `word` that xen-cpuid names `name`: a generated
 * name, a pre-4.19 name, or `<n>` for an unnamed bit. undefined if unknown.
 */
export function bitOfName(word: number, name: string): number | undefined {
  const unnamed = UNNAMED_BIT.exec(name);
  if (unnamed) {
    const bit = Number(unnamed[1]);
    return bit < 32 ? bit : undefined;
  }
  const n = normalise(name);
  const old = oldByWord.get(word)?.get(n);
  if (old !== undefined) return old;
  const f = featureByName(n);
  return f && f.word === word ? f.bit : undefined;
}

/**
 * The feature an old or new xen-cpuid / Xen name stands for ("sse41" and
 * "sse4-1" both give sse4-1). Names of bits Xen has no feature for (psn,
 * the 0x80000001.edx copies) and the ambiguous old "ppin" give undefined
 * unless `word` says which word the name was printed in.
 */
export function decodeNames(name: string, word?: number): Feature | undefined {
  if (word !== undefined) {
    const bit = bitOfName(word, name);
    return bit === undefined ? undefined : featureByValue(word * 32 + bit);
  }
  const n = normalise(name);
  const generated = featureByName(n);
  if (generated) return generated;
  const matches = OLD_NAMES.filter(([, , old]) => old === n);
  if (matches.length !== 1) return undefined;
  const [w, bit] = matches[0];
  return featureByValue(w * 32 + bit);
}
