import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NO_SUBLEAF, emptyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { policyFeatureset, setPolicyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { deserialisePolicy, duplicateLeafWarnings, PolicyFormatError, serialisePolicy, type SerialisedPolicy } from "../../../shared/policy/serialise.ts";
import { SerialisedPolicyJson } from "../../../shared/schemas/policy.ts";
import { policyFromJson, policyToJson } from "../../../shared/policy/policy-json.ts";
import { policyVendor } from "../../../shared/policy/vendor.ts";
import { parseXenCpuidPolicy } from "../../../shared/formats/xen-cpuid-policy.ts";
import { xenCpuidFixture } from "../../../devenv/fixtures.ts";

const alder = parseXenCpuidPolicy(xenCpuidFixture("xen-cpuid-p_core-i5-12600k_alderlake.txt"));

function expectError(s: SerialisedPolicy, code: string, at: Record<string, number>) {
  try {
    deserialisePolicy(s);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyFormatError);
    expect((e as PolicyFormatError).code).toBe(code);
    expect(e).toMatchObject(at);
    return (e as Error).message;
  }
  throw new Error("expected a PolicyFormatError");
}

const leaf = (l: number, s: number) => ({ leaf: l, subleaf: s, eax: 1, ebx: 2, ecx: 3, edx: 4 });

describe("Xen serialised form", () => {
  it("re-serialises every policy of a real xen-cpuid -p output with Xen's own leaf count", () => {
    for (const b of alder.blocks) expect(serialisePolicy(b.policy).leaves.length, b.name).toBe(b.reportedLeaves);
  });

  it("emits leaves sorted by leaf then strictly ascending subleaf", () => {
    for (const b of alder.blocks) {
      const ls = serialisePolicy(b.policy).leaves;
      for (let i = 1; i < ls.length; i++) {
        const [a, c] = [ls[i - 1], ls[i]];
        expect(a.leaf < c.leaf || (a.leaf === c.leaf && a.subleaf < c.subleaf)).toBe(true);
      }
    }
  });

  it("identifies the vendor", () => expect(policyVendor(alder.blocks[0].policy)).toBe("intel"));

  it("refuses more than 120 leaves and more than 2 MSRs", () => {
    const many = Array.from({ length: 121 }, () => leaf(1, NO_SUBLEAF));
    expect(expectError({ leaves: many, msrs: [] }, "too-big", {})).toMatch(/121 leaves/);
    const msr = { index: 0xce, flags: 0, value: 0n };
    expect(expectError({ leaves: [], msrs: [msr, msr, msr] }, "too-big", {})).toMatch(/3 MSRs/);
  });

  it("names the leaf and subleaf of an out-of-range record", () => {
    expectError({ leaves: [leaf(0x20, NO_SUBLEAF)], msrs: [] }, "out-of-range", { leaf: 0x20, subleaf: NO_SUBLEAF });
    expectError({ leaves: [leaf(7, 3)], msrs: [] }, "out-of-range", { leaf: 7, subleaf: 3 });
    expectError({ leaves: [leaf(4, NO_SUBLEAF)], msrs: [] }, "out-of-range", { leaf: 4, subleaf: NO_SUBLEAF });
    expectError({ leaves: [leaf(1, 0)], msrs: [] }, "out-of-range", { leaf: 1, subleaf: 0 });
    expectError({ leaves: [leaf(0x80000022, NO_SUBLEAF)], msrs: [] }, "out-of-range", { leaf: 0x80000022 });
    expectError({ leaves: [leaf(0x40000000, 0)], msrs: [] }, "out-of-range", { leaf: 0x40000000, subleaf: 0 });
  });

  it("names the MSR of an invalid, unknown or overflowing record", () => {
    expectError({ leaves: [], msrs: [{ index: 0xce, flags: 1, value: 0n }] }, "invalid", { msr: 0xce });
    expectError({ leaves: [], msrs: [{ index: 0x48, flags: 0, value: 0n }] }, "out-of-range", { msr: 0x48 });
    expectError({ leaves: [], msrs: [{ index: 0xce, flags: 0, value: 1n << 32n }] }, "overflow", { msr: 0xce });
  });

  it("later duplicates win when merging, and each is reported as a warning", () => {
    const s = { leaves: [leaf(1, NO_SUBLEAF), leaf(7, 0), { ...leaf(1, NO_SUBLEAF), eax: 9 }, leaf(7, 1), { ...leaf(7, 0), ebx: 5 }], msrs: [] };
    const p = deserialisePolicy(s);
    expect([p.basic[1].eax, p.feat[0].ebx]).toEqual([9, 5]);
    expect(duplicateLeafWarnings(s)).toEqual([
      "leaf 0x00000001 is given more than once (records 1 and 3); the last one wins",
      "leaf 0x00000007 subleaf 0x00000000 is given more than once (records 2 and 5); the last one wins",
    ]);
    expect(duplicateLeafWarnings(serialisePolicy(alder.blocks[0].policy))).toEqual([]);
  });

  it("says in words why a record is out of range, at the edges of each range Xen stores", () => {
    const outside = "leaf outside the ranges Xen stores (0x0-0xd, 0x40000000, 0x40000100, 0x80000000-0x80000021)";
    const why = (l: number, sub: number) => expectError({ leaves: [leaf(l, sub)], msrs: [] }, "out-of-range", { leaf: l, subleaf: sub });
    expect(why(0xe, NO_SUBLEAF)).toBe(`leaf 0x0000000e: ${outside}`);
    expect(why(0x20, NO_SUBLEAF)).toBe(`leaf 0x00000020: ${outside}`);
    expect(why(0x80000022, NO_SUBLEAF)).toBe(`leaf 0x80000022: ${outside}`);
    expect(why(0x80000000, 0)).toBe("leaf 0x80000000 subleaf 0x00000000: this leaf has no sub-leaves: give subleaf ffffffff (none), not 00000000");
    expect(why(0x40000100, 1)).toBe("leaf 0x40000100 subleaf 0x00000001: this leaf has no sub-leaves: give subleaf ffffffff (none), not 00000001");
    expect(why(4, NO_SUBLEAF)).toBe("leaf 0x00000004: this leaf has sub-leaves; give one");
    expect(why(7, 3)).toBe("leaf 0x00000007 subleaf 0x00000003: sub-leaf not stored for this leaf");
  });

  it("says which MSR value is too wide or which MSR is not part of a policy", () => {
    const why = (index: number, value: bigint, code: string) => expectError({ leaves: [], msrs: [{ index, flags: 0, value }] }, code, { msr: index });
    expect(why(0xce, 1n << 32n, "overflow")).toBe("MSR 0x000000ce (PLATFORM_INFO) value 0x100000000 is wider than 32 bits");
    expect(why(0x10a, 1n << 64n, "overflow")).toBe("MSR 0x0000010a (ARCH_CAPABILITIES) value is wider than 64 bits");
    expect(why(0x10a, -1n, "overflow")).toBe("MSR 0x0000010a (ARCH_CAPABILITIES) value is wider than 64 bits");
    expect(why(0x48, 0n, "out-of-range")).toBe("MSR 0x00000048 is not part of a CPU policy (only 0xce and 0x10a are)");
    const widest = deserialisePolicy({ leaves: [], msrs: [{ index: 0x10a, flags: 0, value: (1n << 64n) - 1n }] });
    expect([widest.archCapsLo, widest.archCapsHi]).toEqual([0xffffffff, 0xffffffff]);
  });

  it("a subleaf on a leaf without sub-leaves says to use ffffffff", () => {
    expect(expectError({ leaves: [leaf(0, 0)], msrs: [] }, "out-of-range", { leaf: 0, subleaf: 0 })).toBe(
      "leaf 0x00000000 subleaf 0x00000000: this leaf has no sub-leaves: give subleaf ffffffff (none), not 00000000",
    );
    expect(expectError({ leaves: [leaf(0x80000001, 1)], msrs: [] }, "out-of-range", {})).toMatch(/give subleaf ffffffff/);
    expect(expectError({ leaves: [leaf(0x40000000, 0)], msrs: [] }, "out-of-range", {})).toMatch(/give subleaf ffffffff/);
  });

  it("keeps the hypervisor leaves' limits to 8 bits, as Xen stores them", () => {
    const p = deserialisePolicy({ leaves: [{ ...leaf(0x40000000, NO_SUBLEAF), eax: 0x40000105 }, { ...leaf(0x40000100, NO_SUBLEAF), eax: 0x1ff }], msrs: [] });
    expect([p.hvLimit, p.hv2Limit]).toEqual([0x05, 0xff]);
    expect(serialisePolicy(p).leaves.filter((l) => l.leaf === 0x40000000 || l.leaf === 0x40000100).map((l) => l.eax)).toEqual([0x05, 0xff]);
  });

  const subleavesOf = (p: CpuPolicy, l: number) => serialisePolicy(p).leaves.filter((r) => r.leaf === l).map((r) => r.subleaf);

  it("serialises leaf 7 up to its max subleaf, never past the three sub-leaves Xen stores", () => {
    const p = emptyPolicy();
    p.basic[0].eax = 7;
    expect(subleavesOf(p, 7)).toEqual([0]);
    p.feat[0].eax = 1;
    expect(subleavesOf(p, 7)).toEqual([0, 1]);
    p.feat[0].eax = 5;
    expect(subleavesOf(p, 7)).toEqual([0, 1, 2]);
  });

  it("serialises leaf 4 up to and with the first null cache level, never past the six sub-leaves Xen stores", () => {
    const p = emptyPolicy();
    p.basic[0].eax = 4;
    for (const c of p.cache) c.eax = 0x121; // a data cache, level 1
    expect(subleavesOf(p, 4)).toEqual([0, 1, 2, 3, 4, 5]);
    p.cache[2].eax = 0;
    expect(subleavesOf(p, 4)).toEqual([0, 1, 2]);
  });

  it("serialises leaf 0xd up to the highest state advertised; state 63 has no stored sub-leaf", () => {
    const p = emptyPolicy();
    p.basic[0].eax = 0xd;
    p.xstate[0].eax = 0x7;
    expect(subleavesOf(p, 0xd)).toEqual([0, 1, 2]);
    p.xstate[0].edx = 0x80000000;
    expect(subleavesOf(p, 0xd)).toEqual([0, 1, 2]);
    p.xstate[1].edx = 0x40000000;
    expect(subleavesOf(p, 0xd)).toEqual(Array.from({ length: 63 }, (_, i) => i));
  });

  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const policyArb = fc
    .record({ words: fc.array(u32, { minLength: 19, maxLength: 19 }), maxLeaf: fc.integer({ min: 0, max: 0xd }), extd: fc.integer({ min: 0, max: 0x21 }), sub7: fc.integer({ min: 0, max: 2 }), pi: u32 })
    .map(({ words, maxLeaf, extd, sub7, pi }) => {
      const p = emptyPolicy();
      setPolicyFeatureset(p, Uint32Array.from(words));
      p.basic[0].eax = maxLeaf;
      p.extd[0].eax = 0x80000000 + extd;
      p.feat[0].eax = sub7;
      p.platformInfo = pi;
      return p;
    });

  it("round-trips serialise → JSON → deserialise with the same hash (property)", () => {
    fc.assert(
      fc.property(policyArb, (p) => {
        const json = SerialisedPolicyJson.parse(JSON.parse(JSON.stringify(policyToJson(serialisePolicy(p)))));
        const back = deserialisePolicy(policyFromJson(json));
        expect(policyHash(back)).toBe(policyHash(p));
        expect(serialisePolicy(back)).toEqual(serialisePolicy(p));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("featureset insert/extract round-trips for visible words (property)", () => {
    fc.assert(
      fc.property(fc.array(u32, { minLength: 19, maxLength: 19 }), (words) => {
        const p = emptyPolicy();
        setPolicyFeatureset(p, Uint32Array.from(words));
        expect(Array.from(policyFeatureset(p))).toEqual(words);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("hashes differ when any bit differs", () => {
    const a = alder.blocks.find((b) => b.name === "hvm_max")!.policy;
    const b = deserialisePolicy(serialisePolicy(a));
    expect(policyHash(b)).toBe(policyHash(a));
    b.basic[1].ecx ^= 1;
    expect(policyHash(b)).not.toBe(policyHash(a));
  });
});
