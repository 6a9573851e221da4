// Xen's x86_cpu_policy_clear_out_of_range_leaves, run after every accepted
// set-policy: whatever lies beyond the policy's own limits (max leaf, leaf 4
// and 0xb up to the first invalid subleaf, leaf 7's max subleaf, the xstate
// components, the extended max leaf) is zeroed, so two policies Xen would
// treat alike are stored alike.

import { policyXstates, zeroRegs, type CpuPolicy, type Regs } from "./cpu-policy.ts";

function zeroFrom(leaves: Regs[], first: number): void {
  for (let i = first; i < leaves.length; i++) Object.assign(leaves[i], zeroRegs());
}

/** Index of the first subleaf whose type field is 0, or the array's length. */
function firstInvalid(leaves: Regs[], type: (r: Regs) => number): number {
  const i = leaves.findIndex((r) => type(r) === 0);
  return i < 0 ? leaves.length : i;
}

export function clearOutOfRangeLeaves(p: CpuPolicy): void {
  const maxLeaf = p.basic[0].eax >>> 0;
  zeroFrom(p.basic, maxLeaf + 1);
  zeroFrom(p.cache, maxLeaf < 4 ? 0 : firstInvalid(p.cache, (r) => r.eax & 0x1f));
  zeroFrom(p.feat, maxLeaf < 7 ? 0 : (p.feat[0].eax >>> 0) + 1);
  zeroFrom(p.topo, maxLeaf < 0xb ? 0 : firstInvalid(p.topo, (r) => (r.ecx >>> 8) & 0xff));
  const xstates = policyXstates(p);
  // subleaves 0 and 1 always; then up to the highest component (bit 63 keeps them all)
  zeroFrom(p.xstate, maxLeaf < 0xd || xstates === 0n ? 0 : Math.max(2, xstates.toString(2).length));
  zeroFrom(p.extd, (p.extd[0].eax & 0xffff) + 1);
}
