// Reading a policy's featureset words without allocating: the audit's clean
// path fills caller-owned buffers instead of building Featureset copies.
// The word → register mapping is words.ts's; a unit test holds the two equal.

import type { CpuPolicy } from "../policy/cpu-policy.ts";

export function featureWord(p: CpuPolicy, word: number): number {
  switch (word) {
    case 0: return p.basic[1].edx;
    case 1: return p.basic[1].ecx;
    case 2: return p.extd[1].edx;
    case 3: return p.extd[1].ecx;
    case 4: return p.xstate[1].eax;
    case 5: return p.feat[0].ebx;
    case 6: return p.feat[0].ecx;
    case 7: return p.extd[7].edx;
    case 8: return p.extd[8].ebx;
    case 9: return p.feat[0].edx;
    case 10: return p.feat[1].eax;
    case 11: return p.extd[0x21].eax;
    case 12: return p.feat[1].ebx;
    case 13: return p.feat[2].edx;
    case 14: return p.feat[1].ecx;
    case 15: return p.feat[1].edx;
    case 16: return p.archCapsLo;
    case 17: return p.archCapsHi;
    case 18: return p.extd[0x21].ecx;
    default: throw new RangeError(`featureset word ${word} does not exist`);
  }
}

/** Fill `out` (19 words) with the policy's featureset. */
export function loadFeatureWords(p: CpuPolicy, out: Uint32Array): void {
  for (let w = 0; w < out.length; w++) out[w] = featureWord(p, w);
}
