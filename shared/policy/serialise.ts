// Xen's serialised policy form (x86_cpuid_copy_to/from_buffer and the MSR
// equivalents): the wire form of a policy, with Xen's ordering, size limits
// and acceptance rules. Every error names the offending leaf/subleaf or MSR.

import { MSR_ARCH_CAPABILITIES, MSR_PLATFORM_INFO } from "../featureset/words.ts";
import {
  BASIC_LEAVES,
  CACHE_SUBLEAVES,
  EXTD_BASE,
  EXTD_LEAVES,
  FEAT_SUBLEAVES,
  HV2_LEAF,
  HV_LEAF,
  NO_SUBLEAF,
  TOPO_SUBLEAVES,
  XSTATE_SUBLEAVES,
  copyPolicy,
  emptyPolicy,
  hasSubleaves,
  leafRegs,
  policyXstates,
  type CpuPolicy,
  type Regs,
} from "./cpu-policy.ts";

export interface LeafRecord extends Regs {
  leaf: number;
  subleaf: number;
}

export interface MsrRecord {
  index: number;
  flags: number;
  value: bigint;
}

export interface SerialisedPolicy {
  leaves: LeafRecord[];
  msrs: MsrRecord[];
}

/** Xen 4.18+: XEN_DOMCTL_get_cpu_policy's maximum counts. */
export const MAX_SERIALISED_LEAVES = 120;
export const MAX_SERIALISED_MSRS = 2;

export type PolicyErrorCode = "too-big" | "out-of-range" | "invalid" | "overflow";

/** A serialised policy Xen would refuse (Xen: -E2BIG, -ERANGE, -EINVAL, -EOVERFLOW). */
export class PolicyFormatError extends Error {
  readonly code: PolicyErrorCode;
  readonly leaf?: number;
  readonly subleaf?: number;
  readonly msr?: number;
  constructor(code: PolicyErrorCode, message: string, at: { leaf?: number; subleaf?: number; msr?: number } = {}) {
    super(message);
    this.name = "PolicyFormatError";
    this.code = code;
    Object.assign(this, at);
  }
}

export const hex32 = (n: number) => (n >>> 0).toString(16).padStart(8, "0");
export const describeLeaf = (leaf: number, subleaf: number) =>
  subleaf === NO_SUBLEAF ? `leaf 0x${hex32(leaf)}` : `leaf 0x${hex32(leaf)} subleaf 0x${hex32(subleaf)}`;

function record(leaf: number, subleaf: number, r: Regs): LeafRecord {
  return { leaf, subleaf, eax: r.eax >>> 0, ebx: r.ebx >>> 0, ecx: r.ecx >>> 0, edx: r.edx >>> 0 };
}

/** Highest xstate component (≥ 2) the policy advertises, or 1 when none. */
function highestXstate(p: CpuPolicy): number {
  const states = policyXstates(p);
  let hi = 1;
  for (let i = 2; i < XSTATE_SUBLEAVES; i++) if (states & (1n << BigInt(i))) hi = i;
  return hi;
}

export function serialisePolicy(p: CpuPolicy): SerialisedPolicy {
  const leaves: LeafRecord[] = [];
  const basicMax = Math.min(p.basic[0].eax >>> 0, BASIC_LEAVES - 1);
  for (let leaf = 0; leaf <= basicMax; leaf++) {
    switch (leaf) {
      case 0x4:
        for (let s = 0; s < CACHE_SUBLEAVES; s++) {
          leaves.push(record(leaf, s, p.cache[s]));
          if ((p.cache[s].eax & 0x1f) === 0) break;
        }
        break;
      case 0x7:
        for (let s = 0; s <= Math.min(p.feat[0].eax >>> 0, FEAT_SUBLEAVES - 1); s++) leaves.push(record(leaf, s, p.feat[s]));
        break;
      case 0xb:
        for (let s = 0; s < TOPO_SUBLEAVES; s++) {
          leaves.push(record(leaf, s, p.topo[s]));
          if (((p.topo[s].ecx >>> 8) & 0xff) === 0) break;
        }
        break;
      case 0xd:
        for (let s = 0; s <= highestXstate(p); s++) leaves.push(record(leaf, s, p.xstate[s]));
        break;
      default:
        leaves.push(record(leaf, NO_SUBLEAF, p.basic[leaf]));
    }
  }
  leaves.push(record(HV_LEAF, NO_SUBLEAF, { eax: p.hvLimit, ebx: 0, ecx: 0, edx: 0 }));
  leaves.push(record(HV2_LEAF, NO_SUBLEAF, { eax: p.hv2Limit, ebx: 0, ecx: 0, edx: 0 }));
  const extdLast = Math.min(p.extd[0].eax & 0xffff, EXTD_LEAVES - 1);
  for (let i = 0; i <= extdLast; i++) leaves.push(record(EXTD_BASE + i, NO_SUBLEAF, p.extd[i]));
  const msrs: MsrRecord[] = [
    { index: MSR_PLATFORM_INFO, flags: 0, value: BigInt(p.platformInfo >>> 0) },
    { index: MSR_ARCH_CAPABILITIES, flags: 0, value: (BigInt(p.archCapsHi >>> 0) << 32n) | BigInt(p.archCapsLo >>> 0) },
  ];
  return { leaves, msrs };
}

/**
 * Merge serialised records into a policy (a copy of `base`, or an empty one),
 * as XEN_DOMCTL_set_cpu_policy does: later duplicates win.
 */
export function deserialisePolicy(s: SerialisedPolicy, base: CpuPolicy = emptyPolicy()): CpuPolicy {
  if (s.leaves.length > MAX_SERIALISED_LEAVES) {
    throw new PolicyFormatError("too-big", `policy has ${s.leaves.length} leaves, Xen accepts at most ${MAX_SERIALISED_LEAVES}`);
  }
  if (s.msrs.length > MAX_SERIALISED_MSRS) {
    throw new PolicyFormatError("too-big", `policy has ${s.msrs.length} MSRs, Xen accepts at most ${MAX_SERIALISED_MSRS}`);
  }
  const p = copyPolicy(base);
  for (const l of s.leaves) {
    if (l.leaf === HV_LEAF || l.leaf === HV2_LEAF) {
      if (l.subleaf !== NO_SUBLEAF) throw outOfRange(l);
      // Xen keeps these limits in 8 bits (uint8_t hv_limit/hv2_limit) and drops the rest
      if (l.leaf === HV_LEAF) p.hvLimit = l.eax & 0xff;
      else p.hv2Limit = l.eax & 0xff;
      continue;
    }
    const regs = leafRegs(p, l.leaf, l.subleaf);
    if (!regs) throw outOfRange(l);
    regs.eax = l.eax >>> 0;
    regs.ebx = l.ebx >>> 0;
    regs.ecx = l.ecx >>> 0;
    regs.edx = l.edx >>> 0;
  }
  for (const m of s.msrs) {
    const at = { msr: m.index };
    if (m.flags !== 0) throw new PolicyFormatError("invalid", `MSR 0x${hex32(m.index)} has flags ${m.flags}, must be 0`, at);
    if (m.index === MSR_PLATFORM_INFO) {
      if (m.value > 0xffffffffn) {
        throw new PolicyFormatError("overflow", `MSR 0x${hex32(m.index)} (PLATFORM_INFO) value 0x${m.value.toString(16)} is wider than 32 bits`, at);
      }
      p.platformInfo = Number(m.value);
    } else if (m.index === MSR_ARCH_CAPABILITIES) {
      if (m.value > 0xffffffffffffffffn || m.value < 0n) {
        throw new PolicyFormatError("overflow", `MSR 0x${hex32(m.index)} (ARCH_CAPABILITIES) value is wider than 64 bits`, at);
      }
      p.archCapsLo = Number(m.value & 0xffffffffn);
      p.archCapsHi = Number(m.value >> 32n);
    } else {
      throw new PolicyFormatError("out-of-range", `MSR 0x${hex32(m.index)} is not part of a CPU policy (only 0xce and 0x10a are)`, at);
    }
  }
  return p;
}

function outOfRange(l: LeafRecord): PolicyFormatError {
  const stored = l.leaf < BASIC_LEAVES || (l.leaf >= EXTD_BASE && l.leaf - EXTD_BASE < EXTD_LEAVES) || l.leaf === HV_LEAF || l.leaf === HV2_LEAF;
  const why = !stored
    ? "leaf outside the ranges Xen stores (0x0-0xd, 0x40000000, 0x40000100, 0x80000000-0x80000021)"
    : !hasSubleaves(l.leaf)
      ? `this leaf has no sub-leaves: give subleaf ffffffff (none), not ${hex32(l.subleaf)}`
      : l.subleaf === NO_SUBLEAF
        ? "this leaf has sub-leaves; give one"
        : "sub-leaf not stored for this leaf";
  return new PolicyFormatError("out-of-range", `${describeLeaf(l.leaf, l.subleaf)}: ${why}`, { leaf: l.leaf, subleaf: l.subleaf });
}

/** Warnings for records a later record of the same leaf/subleaf overrides (Xen accepts them: the last wins). */
export function duplicateLeafWarnings(s: SerialisedPolicy): string[] {
  const seen = new Map<string, number>();
  const warnings: string[] = [];
  s.leaves.forEach((l, i) => {
    const key = `${l.leaf}:${l.subleaf}`;
    const first = seen.get(key);
    if (first !== undefined) warnings.push(`${describeLeaf(l.leaf, l.subleaf)} is given more than once (records ${first + 1} and ${i + 1}); the last one wins`);
    else seen.set(key, i);
  });
  return warnings;
}
