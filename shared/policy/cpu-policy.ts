// Xen's struct cpu_policy as plain data: the CPUID leaves Xen stores, the two
// MSRs it treats as policy, and the toolstack's hypervisor-leaf limits.

export interface Regs {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/** Sizes of the stored arrays (Xen's cpu-policy.h). */
export const BASIC_LEAVES = 0xe; // 0x0 .. 0xd
export const CACHE_SUBLEAVES = 6; // leaf 4
export const FEAT_SUBLEAVES = 3; // leaf 7
export const TOPO_SUBLEAVES = 2; // leaf 0xb
export const XSTATE_SUBLEAVES = 63; // leaf 0xd
export const EXTD_BASE = 0x80000000;
export const EXTD_LEAVES = 0x22; // 0x80000000 .. 0x80000021
export const HV_LEAF = 0x40000000;
export const HV2_LEAF = 0x40000100;
export const NO_SUBLEAF = 0xffffffff;

export interface CpuPolicy {
  /** leaves 0x0..0xd; entries 4, 7, 0xb and 0xd are unused (see the sub-leaf arrays) */
  basic: Regs[];
  cache: Regs[];
  feat: Regs[];
  topo: Regs[];
  xstate: Regs[];
  extd: Regs[];
  hvLimit: number;
  hv2Limit: number;
  /** MSR 0xce, 32 bits; only bit 31 (cpuid_faulting) is defined */
  platformInfo: number;
  /** MSR 0x10a, split into 32-bit halves (featureset words 16/17) */
  archCapsLo: number;
  archCapsHi: number;
}

export const zeroRegs = (): Regs => ({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
const zeros = (n: number): Regs[] => Array.from({ length: n }, zeroRegs);

export function emptyPolicy(): CpuPolicy {
  return {
    basic: zeros(BASIC_LEAVES),
    cache: zeros(CACHE_SUBLEAVES),
    feat: zeros(FEAT_SUBLEAVES),
    topo: zeros(TOPO_SUBLEAVES),
    xstate: zeros(XSTATE_SUBLEAVES),
    extd: zeros(EXTD_LEAVES),
    hvLimit: 0,
    hv2Limit: 0,
    platformInfo: 0,
    archCapsLo: 0,
    archCapsHi: 0,
  };
}

const copyRegs = (rs: Regs[]): Regs[] => rs.map((r) => ({ eax: r.eax, ebx: r.ebx, ecx: r.ecx, edx: r.edx }));

export function copyPolicy(p: CpuPolicy): CpuPolicy {
  return {
    basic: copyRegs(p.basic),
    cache: copyRegs(p.cache),
    feat: copyRegs(p.feat),
    topo: copyRegs(p.topo),
    xstate: copyRegs(p.xstate),
    extd: copyRegs(p.extd),
    hvLimit: p.hvLimit,
    hv2Limit: p.hv2Limit,
    platformInfo: p.platformInfo,
    archCapsLo: p.archCapsLo,
    archCapsHi: p.archCapsHi,
  };
}

export const basicMaxLeaf = (p: CpuPolicy) => p.basic[0].eax;
export const featMaxSubleaf = (p: CpuPolicy) => p.feat[0].eax;
export const extdMaxLeaf = (p: CpuPolicy) => p.extd[0].eax;

/** The regs object stored for (leaf, subleaf), or undefined when Xen stores no such leaf. */
export function leafRegs(p: CpuPolicy, leaf: number, subleaf: number): Regs | undefined {
  if (leaf < BASIC_LEAVES) {
    switch (leaf) {
      case 0x4:
        return subleaf < CACHE_SUBLEAVES ? p.cache[subleaf] : undefined;
      case 0x7:
        return subleaf < FEAT_SUBLEAVES ? p.feat[subleaf] : undefined;
      case 0xb:
        return subleaf < TOPO_SUBLEAVES ? p.topo[subleaf] : undefined;
      case 0xd:
        return subleaf < XSTATE_SUBLEAVES ? p.xstate[subleaf] : undefined;
      default:
        return subleaf === NO_SUBLEAF ? p.basic[leaf] : undefined;
    }
  }
  if (leaf >= EXTD_BASE && leaf - EXTD_BASE < EXTD_LEAVES && subleaf === NO_SUBLEAF) return p.extd[leaf - EXTD_BASE];
  return undefined;
}

/** Leaves that have sub-leaves in Xen's model. */
export const hasSubleaves = (leaf: number) => leaf === 0x4 || leaf === 0x7 || leaf === 0xb || leaf === 0xd;

/** XCR0 | XSS states the policy advertises (leaf 0xd:0 eax/edx, 0xd:1 ecx/edx). */
export function policyXstates(p: CpuPolicy): bigint {
  const x0 = p.xstate[0];
  const x1 = p.xstate[1];
  return (BigInt((x0.edx | x1.edx) >>> 0) << 32n) | BigInt((x0.eax | x1.ecx) >>> 0);
}
