import { describe, expect, it } from "vitest";
import { explainFeature, UnknownFeatureError } from "../../../shared/explain/explain.ts";
import { XEN_RULES } from "../../../shared/explain/xen-rules.ts";
import { featureByName } from "../../../shared/featureset/features.ts";

describe("explainFeature", () => {
  it("gives position, annotation, guest availability and dependencies", () => {
    const e = explainFeature("avx512f");
    expect(e).toMatchObject({
      name: "avx512f",
      macro: "AVX512F",
      word: 5,
      wordAbbrev: "7b0",
      bit: 16,
      position: { kind: "cpuid", leaf: 7, subleaf: 0, register: "ebx", bit: 16 },
      location: "CPUID 0x00000007:0.ebx[16]",
      annotation: "A",
      guests: { pv: { default: true, max: true }, "hvm-shadow": { default: true, max: true }, "hvm-hap": { default: true, max: true } },
      requires: { direct: ["avx2"], deep: ["xsave", "avx", "avx2"] },
    });
    expect(e.requiredBy.direct).toContain("avx512bw");
    expect(e.requiredBy.deep).toContain("avx512-vbmi");
  });

  it("MSR bits, opt-in, HVM-only and pool-hint features", () => {
    const rrsba = explainFeature("rrsba");
    expect(rrsba).toMatchObject({ position: { kind: "msr", index: 0x10a, bit: 19 }, special: true });
    expect(rrsba.requires.deep.sort()).toEqual(["arch-caps", "eibrs", "ibrsb"]);
    expect(explainFeature("gds-no").position).toMatchObject({ kind: "msr", bit: 26 });
    expect(explainFeature("itsc").guests.pv).toEqual({ default: false, max: true });
    expect(explainFeature("vmx").guests).toMatchObject({ pv: { max: false }, "hvm-shadow": { max: false }, "hvm-hap": { default: false, max: true } });
    const md = explainFeature("MD_CLEAR");
    expect(md.accumulate).toBe(true);
    expect(md.xenRules.join()).toMatch(/Intel max policies always offer it/);
    expect(explainFeature("ds").meaning).toEqual(["Xen knows this bit but never offers it to guests"]);
  });

  it("an unknown name is an error with the closest names", () => {
    expect(() => explainFeature("avx-512f")).toThrow(UnknownFeatureError);
    try {
      explainFeature("lahflm");
    } catch (e) {
      expect((e as UnknownFeatureError).suggestions[0]).toBe("lahf-lm");
    }
  });

  it("Xen's per-feature rules name real features", () => {
    for (const name of Object.keys(XEN_RULES)) expect(featureByName(name), name).toBeDefined();
  });
});
