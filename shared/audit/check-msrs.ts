// msr-not-offered: MSR_PLATFORM_INFO bits must be a subset of max's (Xen rule iv).
// MSR_ARCH_CAPABILITIES is featureset words 16/17 and audited as features.

import { MSR_PLATFORM_INFO } from "../featureset/words.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { hex, type Finding } from "./finding.ts";

const PLATFORM_INFO_BITS: Readonly<Record<number, string>> = { 31: "cpuid_faulting" };

export function msrsClean(req: CpuPolicy, max: CpuPolicy): boolean {
  return (req.platformInfo & ~max.platformInfo) === 0;
}

export function msrFindings(req: CpuPolicy, max: CpuPolicy, out: Finding[]): void {
  const extra = req.platformInfo & ~max.platformInfo;
  for (let bit = 0; bit < 32; bit++) {
    if (!(extra & (1 << bit))) continue;
    const name = PLATFORM_INFO_BITS[bit];
    out.push({
      code: "msr-not-offered",
      features: [],
      msr: MSR_PLATFORM_INFO,
      bit,
      message: `MSR ${hex(MSR_PLATFORM_INFO)} (PLATFORM_INFO) bit ${bit}${name ? ` ${name}` : " (undefined)"} is set but the max policy does not offer it; Xen rejects this policy`,
    });
  }
}
