// Where a finding says a bit lives, in words and on the wire: CPUID
// leaf/subleaf/register, or MSR_ARCH_CAPS with the high half's bits counted
// from 32; the wire form carries exactly the fields the finding has.

import { describe, expect, it } from "vitest";
import { bitPosition, describeBit, findingToJson, namesList, type Finding } from "../../../shared/audit/finding.ts";
import { featureByName } from "../../../shared/featureset/features.ts";

const at = (name: string) => {
  const f = featureByName(name)!;
  return [f.word, f.bit] as const;
};

describe("describeBit and bitPosition", () => {
  it("a CPUID leaf without subleaves", () => {
    expect(describeBit(...at("sse3"))).toBe("CPUID 0x00000001.ecx[0]");
    expect(bitPosition(...at("sse3"))).toEqual({ word: 1, bit: 0, leaf: 1, register: "ecx" });
  });

  it("a CPUID subleaf", () => {
    expect(describeBit(...at("avx512f"))).toBe("CPUID 0x00000007:0.ebx[16]");
    expect(bitPosition(...at("avx512f"))).toEqual({ word: 5, bit: 16, leaf: 7, subleaf: 0, register: "ebx" });
  });

  it("MSR_ARCH_CAPS low and high halves", () => {
    expect(describeBit(16, 0)).toBe("MSR 0x0000010a[0]");
    expect(describeBit(17, 2)).toBe("MSR 0x0000010a[34]");
    expect(bitPosition(17, 2)).toEqual({ word: 17, bit: 2, msr: 0x10a });
  });

  it("namesList joins feature names with commas", () => {
    expect(namesList(["avx", "avx2"].map((n) => featureByName(n)!))).toBe("avx, avx2");
  });
});

describe("findingToJson", () => {
  const base: Finding = { code: "max-leaf-exceeded", features: [], message: "m" };

  it("carries only the position fields the finding has", () => {
    expect(findingToJson(base)).toStrictEqual({ code: "max-leaf-exceeded", features: [], message: "m" });
    expect(findingToJson({ ...base, word: 0, bit: 0 })).toStrictEqual({ code: "max-leaf-exceeded", features: [], word: 0, bit: 0, message: "m" });
    expect(findingToJson({ ...base, msr: 0xce, bit: 31 })).toStrictEqual({ code: "max-leaf-exceeded", features: [], bit: 31, msr: "000000ce", message: "m" });
    expect(findingToJson({ ...base, leaf: 0x80000008, subleaf: 0, register: "eax" })).toStrictEqual({
      code: "max-leaf-exceeded",
      features: [],
      leaf: "80000008",
      subleaf: "00000000",
      register: "eax",
      message: "m",
    });
  });
});
