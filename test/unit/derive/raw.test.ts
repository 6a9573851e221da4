// rawPolicyFromCpuid on a hand-made CPUID source: which leaves and subleaves
// Xen's x86_cpu_policy_fill_native reads for a given max leaf and subleaf
// terminators, which MSRs it reads where, and the dynamic bits it drops.

import { describe, expect, it } from "vitest";
import { rawPolicyFromCpuid } from "../../../shared/derive/raw.ts";
import type { CpuPolicy, Regs } from "../../../shared/policy/cpu-policy.ts";

const ZERO: Regs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
const VENDOR: Record<string, [number, number, number]> = {
  intel: [0x756e6547, 0x49656e69, 0x6c65746e], // "Genu" "ineI" "ntel" (ebx, edx, ecx)
  amd: [0x68747541, 0x69746e65, 0x444d4163],
  centaur: [0x746e6543, 0x48727561, 0x736c7561],
};

interface Source {
  maxLeaf: number;
  vendor?: keyof typeof VENDOR;
  /** leaf 1 eax (signature) */
  signature?: number;
  leaf1ecx?: number;
  leaf7ecx?: number;
  maxFeatSubleaf?: number;
  xcr0?: number;
  /** subleaf at which leaf 4 / 0xb says "no more" (type 0) */
  cacheEnd?: number;
  topoEnd?: number;
  /** (leaf, subleaf) pairs the source has no answer for */
  missing?: string[];
  extdMax?: number;
}

/** Every leaf answers ebx = leaf, ecx = subleaf | 0x100 (a valid cache / topology level) unless the source says otherwise. */
function cpuid(src: Source) {
  return (leaf: number, sub: number): Regs | undefined => {
    if (src.missing?.includes(`${leaf.toString(16)}/${sub}`)) return undefined;
    const [ebx, edx, ecx] = VENDOR[src.vendor ?? "intel"];
    if (leaf === 0) return { eax: src.maxLeaf, ebx, ecx, edx };
    if (leaf === 1) return { eax: src.signature ?? 0x000306a9, ebx: 1, ecx: src.leaf1ecx ?? 0, edx: 0 };
    if (leaf === 4) return { eax: sub >= (src.cacheEnd ?? 99) ? 0 : 0x121, ebx: 4, ecx: sub, edx: 0 };
    if (leaf === 7) return { eax: sub === 0 ? (src.maxFeatSubleaf ?? 0) : 0, ebx: 7, ecx: sub === 0 ? (src.leaf7ecx ?? 0) : sub, edx: 0 };
    if (leaf === 0xb) return { eax: 1, ebx: 0xb, ecx: sub >= (src.topoEnd ?? 99) ? sub : (sub + 1) << 8, edx: 0 };
    if (leaf === 0xd && sub === 0) return { eax: src.xcr0 ?? 0, ebx: 0x240, ecx: 0x340, edx: 0 };
    if (leaf === 0xd) return { eax: 0x100 + sub, ebx: sub === 1 ? 0x240 : 0x200 + sub, ecx: 0, edx: 0 };
    if (leaf === 0x80000000) return { eax: src.extdMax ?? 0x80000008, ebx: 0, ecx: 0, edx: 0 };
    return { eax: 0, ebx: leaf >>> 0, ecx: sub >>> 0, edx: 0 };
  };
}

const raw = (src: Source, msrs?: Map<number, bigint>) => rawPolicyFromCpuid(cpuid(src), msrs);
const filled = (rs: Regs[]) => rs.map((r) => JSON.stringify(r) !== JSON.stringify(ZERO));

describe("leaves read for a max leaf", () => {
  it("max leaf 3: leaves 1–3 only", () => {
    const p = raw({ maxLeaf: 3 });
    expect(p.basic.slice(1, 4).map((r) => r.ebx)).toEqual([1, 2, 3]);
    expect(p.basic[5]).toEqual(ZERO);
    expect([filled(p.cache), filled(p.feat), filled(p.topo)].flat().some(Boolean)).toBe(false);
  });

  it("max leaf 4: the cache leaf, not leaf 7", () => {
    const p = raw({ maxLeaf: 4, maxFeatSubleaf: 1 });
    expect(filled(p.cache)).toEqual([true, true, true, true, true, true]);
    expect(p.cache[5]).toEqual({ eax: 0x121, ebx: 4, ecx: 5, edx: 0 });
    expect(filled(p.feat)).toEqual([false, false, false]);
  });

  it("max leaf 7: leaf 7's subleaves up to its max (within the 3 Xen keeps), not leaf 0xb", () => {
    expect(filled(raw({ maxLeaf: 7, maxFeatSubleaf: 1 }).feat)).toEqual([true, true, false]);
    const p = raw({ maxLeaf: 7, maxFeatSubleaf: 5 });
    expect(p.feat.map((r) => r.ecx)).toEqual([0, 1, 2]);
    expect(filled(p.topo)).toEqual([false, false]);
  });

  it("max leaf 0xb: the topology subleaves, not leaf 0xd", () => {
    const p = raw({ maxLeaf: 0xb, xcr0: 7 });
    expect(filled(p.topo)).toEqual([true, true]);
    expect(filled(p.xstate.slice(0, 3))).toEqual([false, false, false]);
  });

  it("max leaf 0xd: xstate subleaves 0, 1 and the states XCR0 names", () => {
    const p = raw({ maxLeaf: 0xd, xcr0: 0b101 });
    expect(p.xstate[0].eax).toBe(0b101);
    expect(p.xstate[1].eax).toBe(0x101);
    expect(p.xstate[2]).toEqual({ eax: 0x102, ebx: 0x202, ecx: 0, edx: 0 });
    expect(p.xstate[3]).toEqual(ZERO);
    expect(p.basic[0xc].ebx).toBe(0xc);
  });

  it("extended leaves up to their max", () => {
    const p = raw({ maxLeaf: 1, extdMax: 0x80000008 });
    expect(p.extd[8].ebx).toBe(0x80000008);
    expect(p.extd[9]).toEqual(ZERO);
  });
});

describe("subleaf terminators", () => {
  it("leaf 4 stops at the first null cache type", () => {
    expect(filled(raw({ maxLeaf: 4, cacheEnd: 2 }).cache)).toEqual([true, true, false, false, false, false]);
  });

  it("leaf 4 stops where the source has no answer", () => {
    expect(filled(raw({ maxLeaf: 4, missing: ["4/1"] }).cache)).toEqual([true, false, false, false, false, false]);
  });

  it("leaf 0xb stops at the first invalid level", () => {
    expect(filled(raw({ maxLeaf: 0xb, topoEnd: 1 }).topo)).toEqual([true, false]);
    expect(filled(raw({ maxLeaf: 0xb, missing: ["b/0"] }).topo)).toEqual([false, false]);
  });
});

describe("MSRs and dynamic bits", () => {
  const ARCH_CAPS_BIT = 1 << 29; // 7:0.edx
  const msrs = new Map([
    [0x10a, 0x1_0000_00ebn],
    [0xce, 0x8000_0000n | 0x1234n],
  ]);

  it("MSR_ARCH_CAPS only when enumerated", () => {
    const withCaps = (leaf7edx: number) =>
      rawPolicyFromCpuid((leaf, sub) => (leaf === 7 && sub === 0 ? { eax: 0, ebx: 0, ecx: 0, edx: leaf7edx } : cpuid({ maxLeaf: 7 })(leaf, sub)), msrs);
    expect([withCaps(ARCH_CAPS_BIT).archCapsLo, withCaps(ARCH_CAPS_BIT).archCapsHi]).toEqual([0xeb, 1]);
    expect([withCaps(0).archCapsLo, withCaps(0).archCapsHi]).toEqual([0, 0]);
  });

  const HYPERVISOR = 1 << 31; // 1.ecx
  it.each<[string, Source, number]>([
    ["Intel family 6: CPUID faulting bit only", { maxLeaf: 1, signature: 0x000306a9 }, 0x80000000],
    ["Intel family 15, bare metal: not probed", { maxLeaf: 1, signature: 0x00000f41 }, 0],
    ["Intel family 15, virtualised: probed", { maxLeaf: 1, signature: 0x00000f41, leaf1ecx: HYPERVISOR }, 0x80000000],
    ["AMD, bare metal: not probed", { maxLeaf: 1, vendor: "amd", signature: 0x00830f10 }, 0],
    ["AMD, virtualised: probed", { maxLeaf: 1, vendor: "amd", signature: 0x00830f10, leaf1ecx: HYPERVISOR }, 0x80000000],
    ["Centaur, virtualised: never", { maxLeaf: 1, vendor: "centaur", signature: 0x000006f0, leaf1ecx: HYPERVISOR }, 0],
  ])("PLATFORM_INFO: %s", (_case, src, platformInfo) => {
    expect(raw(src, msrs).platformInfo >>> 0).toBe(platformInfo);
  });

  it("OSXSAVE, OSPKE and the XCR0/XSS-dependent sizes are dropped", () => {
    const p: CpuPolicy = raw({ maxLeaf: 0xd, xcr0: 7, leaf1ecx: (1 << 27) | (1 << 26), leaf7ecx: (1 << 4) | (1 << 3) });
    expect([p.basic[1].ecx, p.feat[0].ecx]).toEqual([1 << 26, 1 << 3]);
    expect([p.xstate[0].ebx, p.xstate[1].ebx, p.xstate[0].ecx]).toEqual([0, 0, 0x340]);
  });
});
