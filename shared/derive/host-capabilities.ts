// Xen's own feature view (boot_cpu_data.x86_capability) emulated from a raw
// policy: the hardware words masked by KNOWN, the `cpuid=` command line, the
// vendor errata handling of cpu/{intel,amd,hygon}.c, TSX, xstate and the
// speculation synthesis. This is what the host policy's featureset becomes.
//
// Modelled: everything in those paths that changes a featureset bit on bare
// metal. Not modelled (assumed at Xen's defaults): `xsave=0`, `smep=`/`smap=`
// off, the local APIC disabled by firmware, failing VMX/SVM start-up, and
// firmware-locked GDS / TSX mitigations.

import { copyFeatureset, hasFeature, setFeature, type Featureset } from "../featureset/featureset.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { policyFeatureset } from "../policy/featureset-io.ts";
import type { XenCmdlineItem } from "../formats/xen-cmdline.ts";
import { applyForcedAndCleared, clearCap, forceCap, isForcedCap, newCapState, type CapState } from "./cap-state.ts";
import { INTEL, intelFam6, type CpuModel } from "./cpu-model.ts";
import { X } from "./features.ts";
import { synthesiseSpeculationFeatures } from "./spectre.ts";
import { tsxDecision } from "./tsx.ts";
import type { ReleaseModel } from "./release.ts";

export interface CapabilityInputs {
  raw: CpuPolicy;
  cpu: CpuModel;
  cmdline: readonly XenCmdlineItem[];
  tsx: boolean | undefined;
  smt: boolean;
  microcode: number | undefined;
  fastStrings: boolean;
  release: ReleaseModel;
}

export interface XenCapabilities {
  caps: Featureset;
  /** is_forced_cpu_cap(RDRAND): `cpuid=` named rdrand either way */
  rdrandForced: boolean;
  rtmDisabled: boolean;
}

export function xenCapabilities(inp: CapabilityInputs): XenCapabilities {
  const { raw, cpu } = inp;
  const hw = policyFeatureset(raw);
  // Xen reads its view before it sets CR4.OSXSAVE / CR4.PKE (older Xen's Raw still shows them).
  setFeature(hw, X.osxsave, false);
  setFeature(hw, X.ospke, false);
  const s = newCapState(copyFeatureset(hw));

  applyCmdline(s, inp.cmdline, hasFeature(hw, X.rdrand));

  const tsx = tsxDecision(hw, inp.tsx);
  if (tsx.firmwareBug) {
    clearCap(s, X.rtmAlwaysAbort);
    clearCap(s, X.tsxForceAbort);
  }
  if (tsx.forceRtmAlwaysAbort) forceCap(s, X.rtmAlwaysAbort);
  if (tsx.forceHleRtm) {
    forceCap(s, X.hle);
    forceCap(s, X.rtm);
  }

  // identify_cpu: fresh hardware words, vendor fix-ups, KNOWN, forced/cleared.
  s.caps = copyFeatureset(hw);
  clflushSizeCheck(s, raw);
  if (cpu.vendor === "intel") intelFixups(s, inp);
  else if (cpu.vendor === "amd") amdFixups(s, cpu);
  else if (cpu.vendor === "hygon") hygonFixups(s);
  for (let i = 0; i < s.caps.length; i++) s.caps[i] &= inp.release.known[i];
  applyForcedAndCleared(s);

  // xstate_init: no usable leaf 0xd, no XSAVE.
  if (hasFeature(s.caps, X.xsave) && raw.basic[0].eax < 0xd) clearCap(s, X.xsave);

  synthesiseSpeculationFeatures(s, { cpu, microcode: inp.microcode, smt: inp.smt });

  if (deadlineErratum(s, cpu, inp.microcode)) clearCap(s, X.tscDeadline);
  // psr_presmp_init: no PQE without the CAT leaf.
  if (raw.basic[0].eax < 0x10) clearCap(s, X.pqe);

  return { caps: s.caps, rdrandForced: isForcedCap(s, X.rdrand), rtmDisabled: tsx.rtmDisabled };
}

/** `cpuid=`: negative clears the feature and its dependents; positive only forces RDRAND, if present. */
export function applyCmdline(s: CapState, items: readonly XenCmdlineItem[], hardwareRdrand: boolean): void {
  for (const item of items) {
    if (!item.enable) clearCap(s, item.feature);
    else if (item.feature === X.rdrand && hardwareRdrand) forceCap(s, X.rdrand);
  }
}

/** early_cpu_init: CLZERO's clear_page alternative needs a power-of-two line size. */
function clflushSizeCheck(s: CapState, raw: CpuPolicy): void {
  if (!hasFeature(s.caps, X.clflush)) return;
  const size = Math.min(((raw.basic[1].ebx >>> 8) & 0xff) * 8, 128);
  if (size === 0 || (size & (size - 1)) !== 0) clearCap(s, X.clzero);
}

function intelFixups(s: CapState, inp: CapabilityInputs): void {
  if (inp.release.ermsHint && !inp.fastStrings) clearCap(s, X.erms);
  // GDS microcode makes CLWB slow on SKX/CLX/CPX: Xen uses CLFLUSHOPT instead.
  if (intelFam6(inp.cpu, INTEL.SKYLAKE_X)) clearCap(s, X.clwb);
}

function amdFixups(s: CapState, cpu: CpuModel): void {
  lfenceDispatch(s);
  if (cpu.family === 0xf && cpu.model < 0x14) setFeature(s.caps, X.lahfLm, false); // erratum #110
  if ((cpu.family === 0x15 || cpu.family === 0x16) && hasFeature(s.caps, X.rdrand) && !isForcedCap(s, X.rdrand)) {
    clearCap(s, X.rdrand); // may stop working after S3
  }
  if (cpu.family === 0x19 && !virtualised(s) && !hasFeature(s.caps, X.btcNo)) forceCap(s, X.btcNo);
  // Zen2 (AMD_STIBP) clears segment bases on NULL loads; Xen probes and records it.
  if (cpu.family === 0x17 && !virtualised(s) && hasFeature(s.caps, X.amdStibp) && !hasFeature(s.caps, X.nscb)) {
    forceCap(s, X.nscb);
  }
  if (cpu.family === 0x15 && cpu.model >= 0x10 && cpu.model <= 0x1f) setFeature(s.caps, X.topoext);
  if (cpu.family === 0x10) setFeature(s.caps, X.monitor, false);
  setFeature(s.caps, X.sep, false); // no SYSENTER outside legacy mode
}

/** Hygon's Dhyana is Zen1: the NULL-selector probe finds no NSCB. */
function hygonFixups(s: CapState): void {
  lfenceDispatch(s);
  setFeature(s.caps, X.sep, false);
}

/**
 * amd_init_de_cfg + amd_init_lfence_dispatch: pre-Zen3 LFENCE is made (or
 * already is) dispatch serialising, and Xen says so. Bare metal only: under
 * a hypervisor DE_CFG is not writable and Xen keeps the enumerated value.
 */
function lfenceDispatch(s: CapState): void {
  if (hasFeature(s.caps, X.lfenceDispatch) || virtualised(s)) return;
  forceCap(s, X.lfenceDispatch);
}

const virtualised = (s: CapState) => hasFeature(s.caps, X.hypervisor);

/** check_deadline_errata: TSC_DEADLINE broken before these microcode revisions. */
const DEADLINE_ERRATA: ReadonlyArray<readonly [model: number, stepping: number | null, minMicrocode: number]> = [
  [INTEL.HASWELL, null, 0x22],
  [INTEL.HASWELL_X, 0x2, 0x3a],
  [INTEL.HASWELL_X, 0x4, 0x0f],
  [INTEL.HASWELL_L, null, 0x20],
  [INTEL.HASWELL_G, null, 0x17],
  [INTEL.BROADWELL, null, 0x25],
  [INTEL.BROADWELL_G, null, 0x17],
  [INTEL.BROADWELL_X, null, 0x0b000020],
  [INTEL.BROADWELL_D, 0x2, 0x00000011],
  [INTEL.BROADWELL_D, 0x3, 0x0700000e],
  [INTEL.BROADWELL_D, 0x4, 0x0f00000c],
  [INTEL.BROADWELL_D, 0x5, 0x0e000003],
  [INTEL.SKYLAKE_L, null, 0xb2],
  [INTEL.SKYLAKE, null, 0xb2],
  [INTEL.SKYLAKE_X, 0x3, 0x01000136],
  [INTEL.SKYLAKE_X, 0x4, 0x02000014],
  [INTEL.KABYLAKE_L, null, 0x52],
  [INTEL.KABYLAKE, null, 0x52],
];

function deadlineErratum(s: CapState, cpu: CpuModel, microcode: number | undefined): boolean {
  if (microcode === undefined || virtualised(s) || !hasFeature(s.caps, X.tscDeadline)) return false;
  const row = DEADLINE_ERRATA.find(
    ([model, stepping]) => intelFam6(cpu, model) && (stepping === null || stepping === cpu.stepping),
  );
  return row !== undefined && microcode < row[2];
}
