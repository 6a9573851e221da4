// The pool's max leaves and address widths: the minimum over its members.

import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { LEAF_FIELDS, type PoolBits } from "./pool-bits.ts";

export interface LeafLimits {
  basic: number;
  feat: number;
  extd: number;
  /** leaf 0x80000008 eax[7:0] / [15:8], over members that have that leaf */
  physBits?: number;
  linBits?: number;
}

export function commonLeafLimits(pool: PoolBits): LeafLimits {
  const l = pool.contributedLeaves;
  const limits: LeafLimits = { basic: 0xffffffff, feat: 0xffffffff, extd: 0xffffffff };
  for (let c = 0; c < pool.classes; c++) {
    const at = c * LEAF_FIELDS;
    limits.basic = Math.min(limits.basic, l[at]);
    limits.feat = Math.min(limits.feat, l[at + 1]);
    limits.extd = Math.min(limits.extd, l[at + 2]);
    if (l[at + 2] >= 0x80000008) {
      limits.physBits = Math.min(limits.physBits ?? 0xff, l[at + 3] & 0xff);
      limits.linBits = Math.min(limits.linBits ?? 0xff, (l[at + 3] >>> 8) & 0xff);
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
