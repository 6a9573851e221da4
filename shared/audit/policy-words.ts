// Reading a policy's featureset words without allocating: the audit's clean
// path and levelling fill caller-owned buffers instead of building Featureset
// copies. The word → register mapping is words.ts's; a unit test holds the two equal.

import type { CpuPolicy } from "../policy/cpu-policy.ts";

/** Fill out[offset .. offset+19) with the policy's featureset (unrolled: the levelling hot loop). */
export function loadFeatureWords(p: CpuPolicy, out: Uint32Array, offset = 0): void {
  const l1 = p.basic[1];
  const f0 = p.feat[0];
  const f1 = p.feat[1];
  const e1 = p.extd[1];
  const e21 = p.extd[0x21];
  out[offset] = l1.edx;
  out[offset + 1] = l1.ecx;
  out[offset + 2] = e1.edx;
  out[offset + 3] = e1.ecx;
  out[offset + 4] = p.xstate[1].eax;
  out[offset + 5] = f0.ebx;
  out[offset + 6] = f0.ecx;
  out[offset + 7] = p.extd[7].edx;
  out[offset + 8] = p.extd[8].ebx;
  out[offset + 9] = f0.edx;
  out[offset + 10] = f1.eax;
  out[offset + 11] = e21.eax;
  out[offset + 12] = f1.ebx;
  out[offset + 13] = p.feat[2].edx;
  out[offset + 14] = f1.ecx;
  out[offset + 15] = f1.edx;
  out[offset + 16] = p.archCapsLo;
  out[offset + 17] = p.archCapsHi;
  out[offset + 18] = e21.ecx;
}
