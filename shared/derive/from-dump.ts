// Deriving a host's policies from a CPUID dump: the boot CPU's leaves, plus
// what the dump's MSR section tells about microcode and fast strings.

import { bootCpu, cpuidQuery, type CpuidDump } from "../formats/cpuid-dump.ts";
import { cpuModel } from "./cpu-model.ts";
import { deriveHostPolicies, type DerivedPolicies } from "./derive.ts";
import type { DeriveOptions } from "./options.ts";
import { rawPolicyFromCpuid } from "./raw.ts";
import { isAmdLike } from "../policy/vendor.ts";

const MSR_UCODE_REV = 0x8b;
const MSR_MISC_ENABLE = 0x1a0;
const MISC_ENABLE_FAST_STRING = 1n;

export function deriveFromCpuidDump(dump: CpuidDump, options: DeriveOptions = {}): DerivedPolicies {
  const raw = rawPolicyFromCpuid(cpuidQuery(bootCpu(dump)), dump.msrs);
  const ucode = dump.msrs.get(MSR_UCODE_REV);
  const misc = dump.msrs.get(MSR_MISC_ENABLE);
  const vendor = cpuModel(raw).vendor;
  // Intel reports the revision in bits 63:32 of IA32_BIOS_SIGN_ID, AMD in bits 31:0 of PATCH_LEVEL.
  const microcode =
    ucode === undefined
      ? undefined
      : vendor === "intel"
        ? Number((ucode >> 32n) & 0xffffffffn)
        : isAmdLike(vendor)
          ? Number(ucode & 0xffffffffn)
          : undefined;
  return deriveHostPolicies(raw, {
    microcodeRevision: microcode,
    fastStrings: misc === undefined ? undefined : (misc & MISC_ENABLE_FAST_STRING) !== 0n,
    ...options,
  });
}
