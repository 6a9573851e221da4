// x86_cpu_policy_clear_out_of_range_leaves against Xen's own unit test
// (tools/tests/cpu-policy, test_cpuid_out_of_range_clearing): each case sets
// 0xc2 markers in and beyond the policy's limits and expects a given number
// of marker bytes to survive.

import { describe, expect, it } from "vitest";
import { emptyPolicy, type CpuPolicy, type Regs } from "../../../shared/policy/cpu-policy.ts";
import { clearOutOfRangeLeaves } from "../../../shared/policy/out-of-range.ts";
import { rawPolicyFromCpuid } from "../../../shared/derive/raw.ts";

const M = 0xc2;

function markers(p: CpuPolicy): number {
  const regs: Regs[] = [...p.basic, ...p.cache, ...p.feat, ...p.topo, ...p.xstate, ...p.extd];
  const words = [...regs.flatMap((r) => [r.eax, r.ebx, r.ecx, r.edx]), p.hvLimit, p.hv2Limit, p.platformInfo, p.archCapsLo, p.archCapsHi];
  let n = 0;
  for (const w of words) for (let b = 0; b < 32; b += 8) if (((w >>> b) & 0xff) === M) n++;
  return n;
}

const policy = (set: (p: CpuPolicy) => void) => {
  const p = emptyPolicy();
  set(p);
  return p;
};

// [Xen's test name, markers left, the policy]
const CASES: Array<[string, number, CpuPolicy]> = [
  ["basic", 1, policy((p) => { p.basic[0] = { eax: 0, ebx: M, ecx: 0, edx: 0 }; p.basic[1].eax = M; p.cache[0].eax = M; p.feat[0].eax = M; p.topo[0].eax = M; p.xstate[0].eax = M; p.xstate[1].eax = M; })],
  ["cache", 1, policy((p) => { p.basic[0].eax = 4; p.cache[0] = { eax: 1, ebx: M, ecx: 0, edx: 0 }; p.cache[1].ebx = M; p.feat[0].eax = M; p.topo[0].eax = M; p.xstate[0].eax = M; p.xstate[1].eax = M; })],
  ["feat", 1, policy((p) => { p.basic[0].eax = 7; p.feat[0].ebx = M; p.feat[1].ebx = M; p.topo[0].eax = M; p.xstate[0].eax = M; p.xstate[1].eax = M; })],
  ["topo", 1, policy((p) => { p.basic[0].eax = 0xb; p.topo[0] = { eax: 0, ebx: M, ecx: 0x100, edx: 0 }; p.topo[1].ebx = M; p.xstate[0].eax = M; p.xstate[1].eax = M; })],
  ["xstate x87", 2, policy((p) => { p.basic[0].eax = 0xd; p.xstate[0] = { eax: 1, ebx: M, ecx: 0, edx: 0 }; p.xstate[1].ebx = M; p.xstate[2].ebx = M; p.xstate[3].ebx = M; })],
  ["xstate sse", 2, policy((p) => { p.basic[0].eax = 0xd; p.xstate[0] = { eax: 2, ebx: M, ecx: 0, edx: 0 }; p.xstate[1].ebx = M; p.xstate[2].ebx = M; p.xstate[3].ebx = M; })],
  ["xstate avx", 3, policy((p) => { p.basic[0].eax = 0xd; p.xstate[0] = { eax: 7, ebx: M, ecx: 0, edx: 0 }; p.xstate[1].ebx = M; p.xstate[2].ebx = M; p.xstate[3].ebx = M; })],
  ["extd", 1, policy((p) => { p.extd[0] = { eax: 0, ebx: M, ecx: 0, edx: 0 }; p.extd[1].eax = M; })],
];

// Not in Xen's test: the edges of each limit. [what, markers left, the policy]
const EDGES: Array<[string, number, CpuPolicy]> = [
  ["every cache subleaf valid: all kept", 6, policy((p) => { p.basic[0].eax = 4; for (const c of p.cache) Object.assign(c, { eax: 1, ebx: M }); })],
  ["cache subleaf 0 invalid: all cleared", 0, policy((p) => { p.basic[0].eax = 4; p.cache[0].ebx = M; p.cache[1] = { eax: 1, ebx: M, ecx: 0, edx: 0 }; })],
  ["valid topology below max leaf 0xb: cleared", 0, policy((p) => { p.basic[0].eax = 0xa; p.topo[0] = { eax: 0, ebx: M, ecx: 0x100, edx: 0 }; })],
  ["no xstate advertised at max leaf 0xd: all cleared", 0, policy((p) => { p.basic[0].eax = 0xd; p.xstate[0].ebx = M; p.xstate[1].ebx = M; })],
];

describe("clearing out-of-range leaves at the edges of each limit", () => {
  it.each(EDGES)("%s (%i markers left)", (_what, left, p) => {
    clearOutOfRangeLeaves(p);
    expect(markers(p)).toBe(left);
  });
});

describe("clearing out-of-range leaves (Xen's test_cpuid_out_of_range_clearing)", () => {
  it.each(CASES)("%s keeps %i marker(s)", (_name, left, p) => {
    clearOutOfRangeLeaves(p);
    expect(markers(p)).toBe(left);
  });

  it("XSS bit 63 keeps every xstate subleaf (Xen: 64 - clz)", () => {
    const p = policy((q) => { q.basic[0].eax = 0xd; q.xstate[0].eax = 3; q.xstate[1].edx = 0x80000000; q.xstate[40].ebx = M; q.xstate[62].ebx = M; });
    clearOutOfRangeLeaves(p);
    expect(markers(p)).toBe(2);
  });
});

describe("raw xstate subleaves with XSS bit 63 set", () => {
  it("enumerates every component 2-62 whose bit is set in XCR0 | XSS", () => {
    const regs = (eax: number, ebx = 0, ecx = 0, edx = 0) => ({ eax, ebx, ecx, edx });
    const leaves = new Map<string, ReturnType<typeof regs>>([
      ["0:0", regs(0xd)],
      ["13:0", regs(0x7, 0, 0, 0)],
      ["13:1", regs(0xf, 0, 0x100, 0x80000000)],
      ["13:2", regs(0x100, 0x240)],
      ["13:8", regs(0x80, 0, 1)],
      ["2147483648:4294967295", regs(0x80000000)],
    ]);
    const p = rawPolicyFromCpuid((leaf, subleaf) => leaves.get(`${leaf}:${subleaf}`) ?? leaves.get(`${leaf}:0`));
    expect(p.xstate[2]).toEqual(regs(0x100, 0x240));
    expect(p.xstate[8]).toEqual(regs(0x80, 0, 1));
  });
});
