import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FEATURES, featureByName, type Feature } from "../../../shared/featureset/features.ts";
import { andFeatureset, copyFeatureset, emptyFeatureset, featuresetEquals, setFeature, type Featureset } from "../../../shared/featureset/featureset.ts";
import { KNOWN_FEATURES } from "../../../shared/featureset/masks.ts";
import { cpuidSettingFromPolicies, formatLibxlCpuid, parseLibxlCpuid, type LibxlCpuidItem } from "../../../shared/formats/libxl-cpuid.ts";
import { parseXenCpuidFeaturesets } from "../../../shared/formats/xen-cpuid-featuresets.ts";
import { xenCpuidFixture } from "../../../devenv/fixtures.ts";
import { expectFormatError } from "./expect-format-error.ts";

/** The libxl string for the newest Xen, whose libxl knows every name (unquoted). */
const libxlString = (target: Featureset, base: Featureset) => JSON.parse(cpuidSettingFromPolicies(target, base, "master")) as string;

const feature = (name: string) => featureByName(name)!;

function items(text: string): LibxlCpuidItem[] {
  const r = parseLibxlCpuid(text);
  if (r.form !== "libxl") throw new Error("expected the libxl form");
  return r.items;
}

/** Applies the 1/0 feature items of a libxl string to a featureset, as libxl would against that default. */
function apply(base: Featureset, text: string): Featureset {
  const fs = copyFeatureset(base);
  for (const i of items(text)) if (i.feature && (i.value === "1" || i.value === "0")) setFeature(fs, i.feature, i.value === "1");
  return fs;
}

describe("libxl cpuid= strings", () => {
  it("reads generated names, legacy keys and value keys", () => {
    const r = items("host,avx512f=0,lahf-lm=1,sse4.1=k,clfsh=x,clflush=8,family=0x19,model=017,tsc_adjust=s,psn=0");
    expect(r.map((i) => [i.key, i.kind, i.feature?.name, i.value])).toEqual([
      ["avx512f", "feature", "avx512f", "0"],
      ["lahf-lm", "feature", "lahf-lm", "1"],
      ["sse4.1", "feature", "sse4-1", "k"],
      ["clfsh", "feature", "clflush", "x"],
      ["clflush", "value", undefined, 8],
      ["family", "value", undefined, 0x19],
      ["model", "value", undefined, 0o17],
      ["tsc_adjust", "feature", "tsc-adjust", "s"],
      ["psn", "feature", undefined, "0"],
    ]);
    expect(r[1].column).toBe(16);
  });

  it("reads MSR_ARCH_CAPS bits and reduces numbers to their lowest bit for CPUID features", () => {
    expect(items("host,rfds-no=1,eibrs=k").map((i) => [i.feature?.name, i.value])).toEqual([["rfds-no", "1"], ["eibrs", "k"]]);
    expect(items("host,avx=3,sse=0x10").map((i) => i.value)).toEqual(["1", "0"]);
  });

  it("accepts an xl.cfg quoted literal and skips empty items as xl's strtok does", () => {
    expect(items('"host,,avx=0,"').map((i) => i.key)).toEqual(["avx"]);
    expect(items("host")).toEqual([]);
  });

  it("reports bad items with their column", () => {
    expect(expectFormatError(() => parseLibxlCpuid("hots,avx=0"))).toMatchObject({ line: 1, column: 1 });
    const unknown = expectFormatError(() => parseLibxlCpuid("host,avx=0,avx9000=1"));
    expect(unknown).toMatchObject({ line: 1, column: 12 });
    expect(unknown.message).toContain('unknown CPUID flag name "avx9000"');
    const illegal = expectFormatError(() => parseLibxlCpuid("host,avx=q"));
    expect(illegal).toMatchObject({ column: 10 });
    expect(illegal.message).toContain("illegal CPUID value");
    expect(expectFormatError(() => parseLibxlCpuid("host,avx")).message).toContain('missing "="');
    expect(expectFormatError(() => parseLibxlCpuid("host,avx=1abc")).message).toContain("illegal CPUID value");
    expect(expectFormatError(() => parseLibxlCpuid("host,rfds-no=2")).message).toContain("MSR_ARCH_CAPS");
    expect(expectFormatError(() => parseLibxlCpuid("host,stepping=16")).message).toContain("at most 15");
    expect(parseLibxlCpuid("host,family=270").form).toBe("libxl");
    expect(expectFormatError(() => parseLibxlCpuid("host,family=271")).message).toContain("at most 270");
    expect(expectFormatError(() => parseLibxlCpuid("host,CLFSH=1")).message).toContain("unknown CPUID flag name");
  });
});

describe("xend cpuid list", () => {
  it("reads leaves, subleaves and register strings", () => {
    const r = parseLibxlCpuid(`["1:ecx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0,edx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",\n '0x7,0:ebx=xxxxxxxxxxxxxxx0xxxxxxxxxxxxxxxx']`);
    expect(r).toEqual({
      form: "xend",
      leaves: [
        { leaf: 1, subleaf: null, registers: { ecx: "x".repeat(31) + "0", edx: "x".repeat(32) } },
        { leaf: 7, subleaf: 0, registers: { ebx: "x".repeat(15) + "0" + "x".repeat(16) } },
      ],
    });
  });

  it("reports bad items with line and column", () => {
    expect(expectFormatError(() => parseLibxlCpuid('["1:eax=0101"]'))).toMatchObject({ line: 1, column: 9 });
    expect(expectFormatError(() => parseLibxlCpuid(`[\n "1:eax=${"x".repeat(32)}",\n "2:efx=${"x".repeat(32)}"]`))).toMatchObject({ line: 3, column: 5 });
    expect(expectFormatError(() => parseLibxlCpuid('["zz:eax=x"]')).message).toContain("leaf");
    expect(expectFormatError(() => parseLibxlCpuid(`["1:eax=${"x".repeat(32)}"`)).message).toContain('"]"');
    expect(expectFormatError(() => parseLibxlCpuid(`["1:eax=${"x".repeat(32)}]`)).message).toContain("unterminated");
  });
});

describe("libxl cpuid= writer", () => {
  it("writes every feature under a key libxl resolves back to it (clflush as clfsh)", () => {
    for (const f of FEATURES) {
      const text = formatLibxlCpuid({ enable: [f], disable: [] });
      const [item] = items(text);
      expect(item.feature, text).toBe(f);
      expect(item.value).toBe("1");
    }
    expect(formatLibxlCpuid({ enable: [feature("clflush")], disable: [feature("avx512f")] })).toBe("host,clfsh=1,avx512f=0");
  });

  it("refuses a feature it cannot resolve rather than write its name where libxl reads a value key", () => {
    // features are matched by identity; a copy of clflush is not the one clfsh resolves to, and "clflush=" is the line size
    expect(() => formatLibxlCpuid({ enable: [{ ...feature("clflush") }], disable: [] })).toThrow(new RangeError("feature clflush has no key libxl resolves to it"));
  });

  it("orders by featureset position and refuses a feature both enabled and disabled", () => {
    expect(formatLibxlCpuid({ enable: [feature("avx2"), feature("fpu")], disable: [] })).toBe("host,fpu=1,avx2=1");
    expect(() => formatLibxlCpuid({ enable: [feature("avx")], disable: [feature("avx")] })).toThrow(new RangeError("feature avx is both enabled and disabled"));
  });

  it("round-trips random changes", () => {
    const anyFeature = fc.constantFrom(...FEATURES);
    fc.assert(
      fc.property(fc.uniqueArray(anyFeature, { maxLength: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (fs: Feature[], on: boolean[]) => {
        const enable = fs.filter((_, i) => on[i]);
        const disable = fs.filter((_, i) => !on[i]);
        const parsed = items(formatLibxlCpuid({ enable, disable }));
        expect(new Set(parsed.filter((i) => i.value === "1").map((i) => i.feature))).toEqual(new Set(enable));
        expect(new Set(parsed.filter((i) => i.value === "0").map((i) => i.feature))).toEqual(new Set(disable));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("libxlString turns a real HVM default into the HVM max of the same host", () => {
    const sets = parseXenCpuidFeaturesets(xenCpuidFixture("xen-cpuid-detail_core-i7-8750h_coffeelake.txt")).dynamicSets;
    const base = andFeatureset(sets.get("HVM Default")!, KNOWN_FEATURES);
    const target = andFeatureset(sets.get("HVM Max")!, KNOWN_FEATURES);
    const text = libxlString(target, base);
    expect(text).toMatch(/^host,/);
    expect(text).toContain("hle=1");
    expect(featuresetEquals(apply(base, text), target)).toBe(true);
    expect(libxlString(base, base)).toBe("host");
  });

  it("libxlString is minimal and exact for random featuresets", () => {
    const known = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 19, maxLength: 19 }).map((ws) => andFeatureset(Uint32Array.from(ws), KNOWN_FEATURES));
    fc.assert(
      fc.property(known, known, (target, base) => {
        const text = libxlString(target, base);
        expect(featuresetEquals(apply(base, text), target)).toBe(true);
        let differing = 0;
        for (const f of FEATURES) if (((target[f.word] ^ base[f.word]) >>> f.bit) & 1) differing++;
        expect(items(text).length).toBe(differing);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("refuses bits no feature names", () => {
    const fs = emptyFeatureset();
    fs[0] = 1 << 10; // 0x1.edx[10] is reserved
    expect(() => libxlString(fs, emptyFeatureset())).toThrow(RangeError);
  });
});
