// The TSC frequency as CPUID states it, for hosts whose probe sees raw CPUID
// (Xen's policies do not keep leaves 0x15/0x16).
//
// Leaf 0x15 gives TSC = crystal Hz (ecx) × ebx / eax. When ecx is 0 the
// crystal is not enumerated and no per-model crystal is guessed. Instead, as
// Linux's native_calibrate_tsc does, leaf 0x16 eax (base MHz) is taken as
// the TSC rate, and only when 0x15 enumerates the ratio (ebx, eax ≠ 0: the TSC
// is derived from the crystal at a fixed ratio) and the TSC is invariant
// (0x80000007 edx[8]): then the TSC ticks at the nominal base frequency.
//
// TSC scaling is known from CPUID only on AMD-like CPUs (SVM's TSC-ratio
// MSR, 0x8000000a edx[4]); Intel's VMX TSC scaling is a VMX capability MSR
// bit, so it is left unknown (and counts as unable to scale).

import type { HostFacts } from "../level/host-facts.ts";
import { EXTD_BASE, NO_SUBLEAF, type CpuPolicy } from "../policy/cpu-policy.ts";
import { isAmdLike, policyVendor } from "../policy/vendor.ts";
import type { CpuidQuery } from "./raw.ts";

const TSC_LEAF = 0x15;
const FREQ_LEAF = 0x16;
const POWER_LEAF = EXTD_BASE + 7;
const INVARIANT_TSC = 1 << 8;
const SVM_FEATURES_LEAF = 0x0a; // 0x8000000a, index into extd
const SVM_TSC_RATE_MSR = 1 << 4;

export function tscKhzFromCpuid(query: CpuidQuery): number | undefined {
  const maxLeaf = query(0, NO_SUBLEAF)?.eax ?? 0;
  if (maxLeaf < TSC_LEAF) return undefined;
  const tsc = query(TSC_LEAF, NO_SUBLEAF);
  if (!tsc || tsc.eax === 0 || tsc.ebx === 0) return undefined;
  if (tsc.ecx !== 0) return Math.round((tsc.ecx * tsc.ebx) / tsc.eax / 1000);
  const invariant = ((query(EXTD_BASE, NO_SUBLEAF)?.eax ?? 0) >>> 0) >= POWER_LEAF && ((query(POWER_LEAF, NO_SUBLEAF)?.edx ?? 0) & INVARIANT_TSC) !== 0;
  const baseMhz = maxLeaf >= FREQ_LEAF ? (query(FREQ_LEAF, NO_SUBLEAF)?.eax ?? 0) & 0xffff : 0;
  return invariant && baseMhz !== 0 ? baseMhz * 1000 : undefined;
}

/** What a host publishes about its TSC (HostPolicies.tsc): the frequency where the probe found one, and AMD's scaling bit. */
export function hostTscFacts(raw: CpuPolicy, khz: number | undefined): NonNullable<HostFacts["tsc"]> {
  const known = isAmdLike(policyVendor(raw)) && raw.extd[0].eax >>> 0 >= EXTD_BASE + SVM_FEATURES_LEAF;
  return { ...(khz === undefined ? {} : { khz }), ...(known ? { scaling: (raw.extd[SVM_FEATURES_LEAF].edx & SVM_TSC_RATE_MSR) !== 0 } : {}) };
}
