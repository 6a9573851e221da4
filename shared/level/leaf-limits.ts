// The pool's max leaves and address widths: the minimum over its members.

import { basicMaxLeaf, extdMaxLeaf, featMaxSubleaf, type CpuPolicy } from "../policy/cpu-policy.ts";

export interface LeafLimits {
  basic: number;
  feat: number;
  extd: number;
  /** leaf 0x80000008 eax[7:0] / [15:8], over members that have that leaf */
  physBits?: number;
  linBits?: number;
}

export function commonLeafLimits(policies: readonly CpuPolicy[]): LeafLimits {
  const limits: LeafLimits = { basic: 0xffffffff, feat: 0xffffffff, extd: 0xffffffff };
  for (const p of policies) {
    limits.basic = Math.min(limits.basic, basicMaxLeaf(p) >>> 0);
    limits.feat = Math.min(limits.feat, featMaxSubleaf(p) >>> 0);
    limits.extd = Math.min(limits.extd, extdMaxLeaf(p) >>> 0);
    if (extdMaxLeaf(p) >>> 0 >= 0x80000008) {
      const a = p.extd[8].eax;
      limits.physBits = Math.min(limits.physBits ?? 0xff, a & 0xff);
      limits.linBits = Math.min(limits.linBits ?? 0xff, (a >>> 8) & 0xff);
    }
  }
  return limits;
}

export function applyLeafLimits(p: CpuPolicy, limits: LeafLimits): void {
  p.basic[0].eax = limits.basic;
  p.feat[0].eax = limits.feat;
  p.extd[0].eax = limits.extd;
  if (limits.physBits !== undefined && limits.linBits !== undefined) {
    p.extd[8].eax = (p.extd[8].eax & ~0xffff) | (limits.linBits << 8) | limits.physBits;
  }
}
