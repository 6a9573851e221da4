// How a policy stores Xen's leaves: the sizes of each array (Xen's
// CPUID_GUEST_NR_* limits), where each (leaf, subleaf) lives and where the
// stored range ends, deep copies, and the xstate bits of leaf 0xd.

import { describe, expect, it } from "vitest";
import { copyPolicy, emptyPolicy, hasSubleaves, leafRegs, NO_SUBLEAF, policyXstates, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";

const ARRAYS = ["basic", "cache", "feat", "topo", "xstate", "extd"] as const;
const SCALARS = ["hvLimit", "hv2Limit", "platformInfo", "archCapsLo", "archCapsHi"] as const;

describe("emptyPolicy", () => {
  it("holds Xen's leaf counts, every register and MSR zero", () => {
    const p = emptyPolicy();
    expect(ARRAYS.map((a) => p[a].length)).toEqual([0xe, 6, 3, 2, 63, 0x22]);
    for (const a of ARRAYS) for (const r of p[a]) expect(r).toEqual({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
    for (const s of SCALARS) expect(p[s]).toBe(0);
  });

  it("gives every leaf its own registers", () => {
    const p = emptyPolicy();
    p.basic[1].eax = 1;
    expect(p.basic[2].eax).toBe(0);
    expect(emptyPolicy().basic[1].eax).toBe(0);
  });
});

describe("copyPolicy", () => {
  it("is equal and shares nothing with the original", () => {
    const p = emptyPolicy();
    ARRAYS.forEach((a, i) => (p[a][1] = { eax: i + 1, ebx: i + 2, ecx: i + 3, edx: i + 4 }));
    SCALARS.forEach((s, i) => (p[s] = 100 + i));
    const q = copyPolicy(p);
    expect(q).toEqual(p);
    for (const a of ARRAYS) q[a][1].edx = 0xdead;
    for (const s of SCALARS) q[s] = 0;
    expect(ARRAYS.map((a) => p[a][1].edx)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(SCALARS.map((s) => p[s])).toEqual([100, 101, 102, 103, 104]);
  });
});

describe("leafRegs", () => {
  const p: CpuPolicy = emptyPolicy();

  it.each([
    [0x4, 5, "cache", 5],
    [0x7, 2, "feat", 2],
    [0xb, 1, "topo", 1],
    [0xd, 62, "xstate", 62],
    [0x0, NO_SUBLEAF, "basic", 0],
    [0xc, NO_SUBLEAF, "basic", 0xc],
    [0x80000000, NO_SUBLEAF, "extd", 0],
    [0x80000021, NO_SUBLEAF, "extd", 0x21],
  ] as const)("leaf %#x subleaf %#x is %s[%i]", (leaf, subleaf, array, index) => {
    expect(leafRegs(p, leaf, subleaf)).toBe(p[array][index]);
  });

  it.each([
    [0x4, 6],
    [0x7, 3],
    [0xb, 2],
    [0xd, 63],
    [0x4, NO_SUBLEAF],
    [0x1, 0],
    [0xe, NO_SUBLEAF],
    [0x7fffffff, NO_SUBLEAF],
    [0x80000022, NO_SUBLEAF],
    [0x80000001, 0],
    [0x40000000, NO_SUBLEAF],
  ])("leaf %#x subleaf %#x is not stored", (leaf, subleaf) => {
    expect(leafRegs(p, leaf, subleaf)).toBeUndefined();
  });
});

describe("hasSubleaves", () => {
  it("is true for leaves 4, 7, 0xb and 0xd only", () => {
    expect(Array.from({ length: 0x20 }, (_, l) => l).filter(hasSubleaves)).toEqual([4, 7, 0xb, 0xd]);
  });
});

describe("policyXstates", () => {
  it("joins XCR0 (0xd:0 edx:eax) and XSS (0xd:1 edx:ecx) into one 64-bit set", () => {
    const p = emptyPolicy();
    p.xstate[0] = { eax: 0x80000207, ebx: 0xffff, ecx: 0xffff, edx: 0x1 };
    p.xstate[1] = { eax: 0xffff, ebx: 0xffff, ecx: 0x100, edx: 0x2 };
    expect(policyXstates(p)).toBe((0x3n << 32n) | 0x80000307n);
  });
});
