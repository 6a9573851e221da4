// Raw policy: what the CPUID instruction reports, collected the way Xen's
// calculate_raw_cpu_policy (x86_cpu_policy_fill_native) does.

import {
  BASIC_LEAVES,
  CACHE_SUBLEAVES,
  EXTD_BASE,
  EXTD_LEAVES,
  FEAT_SUBLEAVES,
  NO_SUBLEAF,
  TOPO_SUBLEAVES,
  XSTATE_SUBLEAVES,
  emptyPolicy,
  hasSubleaves,
  policyXstates,
  type CpuPolicy,
  type Regs,
} from "../policy/cpu-policy.ts";
import { MSR_ARCH_CAPABILITIES, MSR_PLATFORM_INFO } from "../featureset/words.ts";
import { hasFeature } from "../featureset/featureset.ts";
import { policyFeatureset } from "../policy/featureset-io.ts";
import { cpuModel } from "./cpu-model.ts";
import { PLATFORM_INFO_CPUID_FAULTING } from "./host.ts";
import { X } from "./features.ts";
import { isAmdLike } from "../policy/vendor.ts";

/** CPUID as a function; undefined = the source has no answer (read as zeros). */
export type CpuidQuery = (leaf: number, subleaf: number) => Regs | undefined;

function fill(dst: Regs, src: Regs | undefined): void {
  dst.eax = (src?.eax ?? 0) >>> 0;
  dst.ebx = (src?.ebx ?? 0) >>> 0;
  dst.ecx = (src?.ecx ?? 0) >>> 0;
  dst.edx = (src?.edx ?? 0) >>> 0;
}

/**
 * Build the raw policy from CPUID answers and (optionally) MSR values.
 *
 * MSR_ARCH_CAPS is read when 7:0.edx.ARCH_CAPS is set; a source without that
 * MSR (most dumps) gives 0, i.e. "no enumerated immunities/controls".
 * PLATFORM_INFO keeps only bit 31 (cpuid_faulting), and only where Xen reads
 * it on bare metal: Intel-like vendors (probe_cpuid_faulting); AMD and Hygon
 * only probe it when virtualised, other vendors never.
 */
export function rawPolicyFromCpuid(query: CpuidQuery, msrs: ReadonlyMap<number, bigint> = new Map()): CpuPolicy {
  const p = emptyPolicy();
  fill(p.basic[0], query(0, NO_SUBLEAF));
  const maxLeaf = p.basic[0].eax;
  for (let i = 1; i <= Math.min(maxLeaf, BASIC_LEAVES - 1); i++) {
    if (hasSubleaves(i)) continue;
    fill(p.basic[i], query(i, NO_SUBLEAF));
  }
  if (maxLeaf >= 0x4) {
    for (let i = 0; i < CACHE_SUBLEAVES; i++) {
      const r = query(0x4, i);
      if (!r || (r.eax & 0x1f) === 0) break;
      fill(p.cache[i], r);
    }
  }
  if (maxLeaf >= 0x7) {
    fill(p.feat[0], query(0x7, 0));
    for (let i = 1; i <= Math.min(p.feat[0].eax, FEAT_SUBLEAVES - 1); i++) fill(p.feat[i], query(0x7, i));
  }
  if (maxLeaf >= 0xb) {
    for (let i = 0; i < TOPO_SUBLEAVES; i++) {
      const r = query(0xb, i);
      if (!r || ((r.ecx >>> 8) & 0xff) === 0) break;
      fill(p.topo[i], r);
    }
  }
  if (maxLeaf >= 0xd) {
    fill(p.xstate[0], query(0xd, 0));
    fill(p.xstate[1], query(0xd, 1));
    const states = policyXstates(p);
    for (let i = 2; i < XSTATE_SUBLEAVES; i++) if (states & (1n << BigInt(i))) fill(p.xstate[i], query(0xd, i));
  }
  fill(p.extd[0], query(EXTD_BASE, NO_SUBLEAF));
  for (let i = 1; i <= Math.min(p.extd[0].eax & 0xffff, EXTD_LEAVES - 1); i++) fill(p.extd[i], query(EXTD_BASE + i, NO_SUBLEAF));

  const fs = policyFeatureset(p);
  if (hasFeature(fs, X.archCaps)) {
    const v = msrs.get(MSR_ARCH_CAPABILITIES) ?? 0n;
    p.archCapsLo = Number(v & 0xffffffffn);
    p.archCapsHi = Number((v >> 32n) & 0xffffffffn);
  }
  if (probesCpuidFaulting(p, hasFeature(fs, X.hypervisor))) {
    p.platformInfo = Number(msrs.get(MSR_PLATFORM_INFO) ?? 0n) & PLATFORM_INFO_CPUID_FAULTING;
  }
  clearDynamicFields(p);
  return p;
}

/** Whether Xen reads PLATFORM_INFO at boot (intel_init_levelling / amd_init_levelling). */
function probesCpuidFaulting(p: CpuPolicy, virtualised: boolean): boolean {
  const m = cpuModel(p);
  if (m.vendor === "intel") return m.family !== 0xf || virtualised;
  return isAmdLike(m.vendor) && virtualised;
}

/** OSXSAVE / OSPKE mirror CR4 and the xstate sizes mirror XCR0/XSS: not properties of the CPU (Xen 4.22+). */
export function clearDynamicFields(p: CpuPolicy): void {
  p.basic[1].ecx = (p.basic[1].ecx & ~(1 << X.osxsave.bit)) >>> 0;
  p.feat[0].ecx = (p.feat[0].ecx & ~(1 << X.ospke.bit)) >>> 0;
  p.xstate[0].ebx = 0;
  p.xstate[1].ebx = 0;
}
