// Moving featureset words in and out of a policy (Xen's x86_cpu_policy_to_featureset
// and x86_cpu_featureset_to_policy).

import { WORDS } from "../featureset/words.ts";
import { emptyFeatureset, type Featureset } from "../featureset/featureset.ts";
import { leafRegs, NO_SUBLEAF, type CpuPolicy } from "./cpu-policy.ts";

export function policyFeatureset(p: CpuPolicy): Featureset {
  const fs = emptyFeatureset();
  for (const w of WORDS) {
    const s = w.source;
    if (s.kind === "msr") fs[w.index] = s.half === "lo" ? p.archCapsLo : p.archCapsHi;
    else fs[w.index] = leafRegs(p, s.leaf, s.subleaf ?? NO_SUBLEAF)![s.register];
  }
  return fs;
}

export function setPolicyFeatureset(p: CpuPolicy, fs: Featureset): void {
  for (const w of WORDS) {
    const s = w.source;
    const v = fs[w.index] >>> 0;
    if (s.kind === "msr") {
      if (s.half === "lo") p.archCapsLo = v;
      else p.archCapsHi = v;
    } else leafRegs(p, s.leaf, s.subleaf ?? NO_SUBLEAF)![s.register] = v;
  }
}
