// The speculation-safety synthesis of Xen's init_speculation_mitigations that
// changes Xen's own feature view (and therefore the host policy): RSBA/RRSBA,
// IBPB_BRTYPE/SBPB/SRSO_NO, RFDS_NO, TSA_*_NO/VERW_CLEAR, GDS_NO (or AVX off),
// ITS_NO. Run on a bare-metal view only where Xen does (most steps trust a
// parent hypervisor instead).

import { hasFeature } from "../featureset/featureset.ts";
import type { Feature } from "../featureset/features.ts";
import { clearCap, forceCap, type CapState } from "./cap-state.ts";
import { INTEL, intelFam6, type CpuModel } from "./cpu-model.ts";
import { X } from "./features.ts";
import { isAmdLike } from "../policy/vendor.ts";

export interface SpectreContext {
  cpu: CpuModel;
  /** undefined = unknown, treated as up to date */
  microcode: number | undefined;
  smt: boolean;
}

const atLeast = (microcode: number | undefined, min: number) => microcode === undefined || microcode >= min;

export function synthesiseSpeculationFeatures(s: CapState, ctx: SpectreContext): void {
  retpolineCalculations(s, ctx);
  srsoCalculations(s, ctx);
  rfdsCalculations(s, ctx);
  tsaCalculations(s, ctx);
  gdsCalculations(s, ctx);
  itsCalculations(s, ctx);
}

const has = (s: CapState, f: Feature) => hasFeature(s.caps, f);
const virtualised = (s: CapState) => has(s, X.hypervisor);

/** retpoline_calculations: make RSBA || RRSBA say "alternative predictors in use". */
function retpolineCalculations(s: CapState, { cpu, microcode }: SpectreContext): void {
  if (cpu.vendor !== "intel" || cpu.family !== 6) return;
  if (has(s, X.eibrs)) {
    if (!has(s, X.rrsba)) forceCap(s, X.rrsba);
    return;
  }
  if (has(s, X.rsba) || has(s, X.archCaps)) return;
  if (!retpolineSafeModel(cpu, microcode)) forceCap(s, X.rsba);
}

const RETPOLINE_SAFE = [
  0x17, 0x1d, 0x1e, 0x1f, 0x1a, 0x2e, 0x25, 0x2c, 0x2f, 0x2a, 0x2d, 0x3a, 0x3e, 0x3c, 0x3f, 0x45, 0x46,
  // Atoms before Goldmont Plus
  0x1c, 0x26, 0x27, 0x35, 0x36, 0x37, 0x4d, 0x4c, 0x4a, 0x5a, 0x5c, 0x5f,
];
/** Broadwell: retpoline-safe from these microcode revisions on. */
const BROADWELL_SAFE_FROM: Record<number, number> = { 0x3d: 0x2a, 0x47: 0x1d, 0x4f: 0xb000021 };
const BROADWELL_D_SAFE_FROM: Record<number, number> = { 2: 0x15, 3: 0x7000012, 4: 0xf000011, 5: 0xe000009 };

function retpolineSafeModel(cpu: CpuModel, microcode: number | undefined): boolean {
  if (RETPOLINE_SAFE.includes(cpu.model)) return true;
  if (cpu.model in BROADWELL_SAFE_FROM) return atLeast(microcode, BROADWELL_SAFE_FROM[cpu.model]);
  if (cpu.model === INTEL.BROADWELL_D) {
    const min = BROADWELL_D_SAFE_FROM[cpu.stepping];
    return min !== undefined && atLeast(microcode, min);
  }
  return false;
}

/** srso_calculations (AMD/Hygon, bare metal). */
function srsoCalculations(s: CapState, { cpu, smt }: SpectreContext): void {
  if (!isAmdLike(cpu.vendor) || virtualised(s)) return;
  if (cpu.family === 0x19) {
    // Xen probes for the SRSO microcode by writing PRED_CMD.SBPB; with
    // up-to-date microcode that succeeds.
    forceCap(s, X.ibpbBrtype);
    forceCap(s, X.sbpb);
  } else if (cpu.family < 0x19 && has(s, X.ibpb)) {
    forceCap(s, X.ibpbBrtype);
  }
  if (!smt && (cpu.family === 0x17 || cpu.family === 0x18)) forceCap(s, X.srsoNo);
}

/** rfds_calculations: synthesise RFDS_NO on unaffected Intel parts. */
function rfdsCalculations(s: CapState, { cpu }: SpectreContext): void {
  if (cpu.vendor !== "intel" || cpu.family !== 6) return;
  if (has(s, X.rfdsNo) || has(s, X.rfdsClear) || virtualised(s)) return;
  if (intelFam6(cpu, INTEL.ALDERLAKE, INTEL.RAPTORLAKE) && has(s, X.hybrid)) return;
  if (
    intelFam6(
      cpu,
      INTEL.ALDERLAKE_L,
      INTEL.RAPTORLAKE_P,
      INTEL.RAPTORLAKE_S,
      INTEL.ATOM_GOLDMONT,
      INTEL.ATOM_GOLDMONT_D,
      INTEL.ATOM_GOLDMONT_PLUS,
      INTEL.ATOM_TREMONT_D,
      INTEL.ATOM_TREMONT,
      INTEL.ATOM_TREMONT_L,
      INTEL.ATOM_GRACEMONT,
    )
  ) {
    return;
  }
  forceCap(s, X.rfdsNo);
}

/** Fam19h microcode (by revision >> 8) from which VERW flushes for TSA. */
const TSA_MIN_MICROCODE: Record<number, number> = {
  0x0a0011: 0x0a0011d7, 0x0a0012: 0x0a00123b, 0x0a0082: 0x0a00820d, 0x0a1011: 0x0a10114c,
  0x0a1012: 0x0a10124c, 0x0a1081: 0x0a108109, 0x0a2010: 0x0a20102e, 0x0a2012: 0x0a201211,
  0x0a4041: 0x0a404108, 0x0a5000: 0x0a500012, 0x0a6012: 0x0a60120a, 0x0a7041: 0x0a704108,
  0x0a7052: 0x0a705208, 0x0a7080: 0x0a708008, 0x0a70c0: 0x0a70c008, 0x0aa002: 0x0aa00216,
};

/** tsa_calculations (AMD only, bare metal). */
function tsaCalculations(s: CapState, { cpu, microcode }: SpectreContext): void {
  if (cpu.vendor !== "amd" || virtualised(s)) return;
  if (has(s, X.tsaSqNo) || has(s, X.tsaL1No)) return;
  if (cpu.family !== 0x19) {
    forceCap(s, X.tsaSqNo);
    forceCap(s, X.tsaL1No);
    return;
  }
  if (microcode === undefined) {
    forceCap(s, X.verwClear);
    return;
  }
  const min = TSA_MIN_MICROCODE[microcode >>> 8];
  if (min !== undefined && microcode >= min) forceCap(s, X.verwClear);
}

const GDS_MODELS = [0x55, 0x6a, 0x6c, 0x7e, 0x8c, 0x8d, 0x8e, 0x9e, 0xa5, 0xa6, 0xa7];

/** gds_calculations: GDS_NO when unaffected or mitigated, else AVX off. */
function gdsCalculations(s: CapState, { cpu }: SpectreContext): void {
  if (cpu.vendor !== "intel" || cpu.family !== 6) return;
  const bug =
    !has(s, X.gdsNo) &&
    (has(s, X.gdsCtrl) || (has(s, X.avx) && (GDS_MODELS.includes(cpu.model) || virtualised(s))));
  // With GDS_CTRL Xen turns the microcode mitigation on (firmware lock not modelled).
  if (!bug || has(s, X.gdsCtrl)) {
    forceCap(s, X.gdsNo);
    return;
  }
  // A bug without GDS_CTRL means AVX is on.
  clearCap(s, X.avx);
}

const ITS_AFFECTED: readonly number[] = [
  INTEL.SKYLAKE_X, INTEL.KABYLAKE_L, INTEL.KABYLAKE, INTEL.COMETLAKE, INTEL.COMETLAKE_L,
  INTEL.ICELAKE_X, INTEL.ICELAKE_D, INTEL.ICELAKE_L, INTEL.TIGERLAKE_L, INTEL.TIGERLAKE, INTEL.ROCKETLAKE,
];

/** its_calculations: ITS_NO on Intel parts not affected by Indirect Target Selection. */
function itsCalculations(s: CapState, { cpu }: SpectreContext): void {
  if (has(s, X.itsNo) || virtualised(s) || cpu.vendor !== "intel") return;
  const candidate = cpu.family === 6 && has(s, X.eibrs) && !has(s, X.bhiCtrl);
  if (candidate && ITS_AFFECTED.includes(cpu.model)) return;
  forceCap(s, X.itsNo);
}
