// The featureset operations every other module builds on, feature-name
// lookup with its "did you mean" help, and the dependency queries: each
// checked on small hand-made inputs whose answers are known.

import { describe, expect, it } from "vitest";
import { deepDependentsOf, deepRequirements, directDependentsOf, directRequirements } from "../../../shared/featureset/dependencies.ts";
import { featureByName, xenMacroName } from "../../../shared/featureset/features.ts";
import {
  andFeatureset,
  andNotFeatureset,
  copyFeatureset,
  emptyFeatureset,
  featureNames,
  featuresetEquals,
  featuresetFromNames,
  formatFeatureset,
  hasFeature,
  isSubset,
  parseFeatureset,
  setFeature,
} from "../../../shared/featureset/featureset.ts";
import { guestMask } from "../../../shared/featureset/masks.ts";
import { closestFeatureNames, lookupFeature, normaliseFeatureName, unknownFeatureMessage } from "../../../shared/featureset/suggest.ts";
import { FEATURESET_WORDS } from "../../../shared/featureset/words.ts";

const f = (name: string) => featureByName(name)!;
const names = (fs: Uint32Array) => featureNames(fs);

describe("featureset operations", () => {
  it("sets, clears and reads single features", () => {
    const fs = emptyFeatureset();
    setFeature(fs, f("avx2"));
    setFeature(fs, f("sse3"));
    expect(names(fs)).toEqual(["sse3", "avx2"]);
    setFeature(fs, f("avx2"), false);
    expect([hasFeature(fs, f("avx2")), hasFeature(fs, f("sse3"))]).toEqual([false, true]);
    setFeature(fs, f("sse3"), false);
    expect(fs).toEqual(emptyFeatureset());
  });

  it("builds from names and refuses an unknown one", () => {
    expect(names(featuresetFromNames(["avx", "fpu"]))).toEqual(["fpu", "avx"]);
    expect(() => featuresetFromNames(["avx", "avx-512"])).toThrow('unknown feature "avx-512"');
  });

  it("and, and-not, subset and equality, in every word", () => {
    const a = featuresetFromNames(["fpu", "avx", "avx2", "rdcl-no"]);
    const b = featuresetFromNames(["avx", "avx2", "lahf-lm"]);
    expect(names(andFeatureset(a, b))).toEqual(["avx", "avx2"]);
    expect(names(andNotFeatureset(a, b))).toEqual(["fpu", "rdcl-no"]);
    expect([isSubset(andFeatureset(a, b), a), isSubset(a, b), isSubset(b, a)]).toEqual([true, false, false]);
    expect(featuresetEquals(a, copyFeatureset(a))).toBe(true);
    for (let w = 0; w < FEATURESET_WORDS; w++) {
      const c = copyFeatureset(a);
      c[w] ^= 1 << 31;
      expect([featuresetEquals(a, c), isSubset(c, a)], `word ${w}`).toEqual([false, false]);
    }
  });

  it("a copy is independent of the original", () => {
    const a = featuresetFromNames(["avx"]);
    const c = copyFeatureset(a);
    setFeature(c, f("avx"), false);
    expect(hasFeature(a, f("avx"))).toBe(true);
  });
});

describe("featureset text", () => {
  it("formats 19 words of 8 lowercase hex digits", () => {
    const fs = emptyFeatureset();
    fs[0] = 0xabc;
    fs[18] = 0xffffffff;
    expect(formatFeatureset(fs)).toBe(["00000abc", ...Array(17).fill("00000000"), "ffffffff"].join(":"));
  });

  it("parses ':' or '-' separated words, upper or lower case, zero-extending short input", () => {
    const fs = parseFeatureset("  DEADBEEF-1:0  \n");
    expect([fs[0], fs[1], fs[2], fs.length]).toEqual([0xdeadbeef, 1, 0, FEATURESET_WORDS]);
    expect(fs.subarray(3).every((w) => w === 0)).toBe(true);
  });

  it("refuses too many words and words that are not 1-8 hex digits", () => {
    expect(() => parseFeatureset(Array(20).fill("0").join(":"))).toThrow("featureset has 20 words, at most 19 are defined");
    expect(() => parseFeatureset(Array(19).fill("0").join(":"))).not.toThrow();
    expect(() => parseFeatureset("0:123456789")).toThrow('featureset word 1 "123456789" is not 1-8 hex digits');
    expect(() => parseFeatureset("0::1")).toThrow('featureset word 1 "" is not 1-8 hex digits');
    expect(() => parseFeatureset("x0")).toThrow('featureset word 0 "x0" is not 1-8 hex digits');
    expect(() => parseFeatureset("0x")).toThrow('featureset word 0 "0x" is not 1-8 hex digits');
  });
});

describe("feature names as people type them", () => {
  it("normalises case, underscores and spaces", () => {
    expect(normaliseFeatureName("  LAHF_LM ")).toBe("lahf-lm");
    expect(lookupFeature("AVX512F")).toBe(f("avx512f"));
    expect(lookupFeature("a_b_c")).toBeUndefined();
    expect(xenMacroName(f("lahf-lm"))).toBe("LAHF_LM");
  });

  it("suggests the closest names, prefixes first, ties in name order", () => {
    expect(closestFeatureNames("avx-512f")).toEqual(["avx512f", "avx512pf", "avx512bw"]);
    expect(closestFeatureNames("avx512")).toEqual(["avx512f", "avx512bw", "avx512cd"]);
    expect(closestFeatureNames("SSE4_2x", 1)).toEqual(["sse4-2"]);
    expect(unknownFeatureMessage("avx-512f")).toBe('unknown feature "avx-512f"; did you mean avx512f, avx512pf, avx512bw?');
  });

  it("suggests case- and separator-insensitively", () => {
    expect(closestFeatureNames("SSE_3")).toEqual(["sse3", "sse", "ss"]);
    expect(closestFeatureNames("sse-3", 1)).toEqual(["sse3"]);
    expect(closestFeatureNames("SSE41", 1)).toEqual(["sse4-1"]);
    expect(closestFeatureNames("LAHFLM", 1)).toEqual(["lahf-lm"]);
    expect(closestFeatureNames("Avx512_FP-16", 1)).toEqual(["avx512-fp16"]);
  });
});

describe("dependency queries", () => {
  const n = (fs: readonly { name: string }[]) => fs.map((x) => x.name);

  it("direct and deep requirements of a feature", () => {
    expect(n(directRequirements(f("avx2")))).toEqual(["avx"]);
    expect(n(deepRequirements(f("avx2")))).toEqual(expect.arrayContaining(["xsave", "avx"]));
    expect(n(deepRequirements(f("avx2")))).not.toContain("avx2");
    expect(directRequirements(f("fpu"))).toEqual([]);
  });

  it("direct and deep dependents of a feature", () => {
    expect(n(directDependentsOf(f("xsave")))).toContain("avx");
    expect(n(directDependentsOf(f("xsave")))).not.toContain("avx2");
    expect(n(deepDependentsOf(f("xsave")))).toEqual(expect.arrayContaining(["avx", "avx2", "avx512f"]));
    expect(n(directDependentsOf(f("arch-caps")))).toContain("rdcl-no");
    expect([directDependentsOf(f("avx512-4fmaps")), deepDependentsOf(f("avx512-4fmaps"))]).toEqual([[], []]);
  });
});

describe("guest masks", () => {
  const has = (fs: Uint32Array, name: string) => hasFeature(fs, featureByName(name)!);

  it("HAP-only features (annotation H) are in the HVM HAP masks, the default when not said, and not in the shadow ones", () => {
    expect([has(guestMask("hvm", "max"), "pcid"), has(guestMask("hvm", "max", true), "pcid"), has(guestMask("hvm", "max", false), "pcid")]).toEqual([true, true, false]);
    expect([has(guestMask("hvm", "default"), "pcid"), has(guestMask("hvm", "default", false), "pcid")]).toEqual([true, false]);
  });

  it("the shadow masks hold what every HVM guest gets", () => {
    for (const level of ["max", "default"] as const) expect(has(guestMask("hvm", level, false), "fpu"), level).toBe(true);
  });
});
