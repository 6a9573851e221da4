// Xen's speculation synthesis (spec_ctrl.c's *_calculations), one rule per row:
// the CPU, the features it enumerates, and which features Xen adds to or
// removes from its own view.

import { describe, expect, it } from "vitest";
import { synthesiseSpeculationFeatures, type SpectreContext } from "../../../shared/derive/spectre.ts";
import { newCapState } from "../../../shared/derive/cap-state.ts";
import { INTEL, type CpuModel } from "../../../shared/derive/cpu-model.ts";
import { copyFeatureset, featuresetFromNames } from "../../../shared/featureset/featureset.ts";
import { featuresetDelta } from "./support.ts";

interface Row {
  rule: string;
  cpu: Partial<CpuModel>;
  has?: string;
  microcode?: number;
  smt?: boolean;
  added: string;
  removed?: string;
}

const split = (names: string | undefined) => (names ? names.split(" ") : []);

function synthesise(row: Row) {
  const cpu: CpuModel = { vendor: "intel", family: 6, model: 0, stepping: 0, ...row.cpu };
  const before = featuresetFromNames(split(row.has));
  const s = newCapState(copyFeatureset(before));
  const ctx: SpectreContext = { cpu, microcode: row.microcode, smt: row.smt ?? true };
  synthesiseSpeculationFeatures(s, ctx);
  return featuresetDelta(before, s.caps);
}

const IVB = { model: INTEL.IVYBRIDGE }; // retpoline-safe, no GDS, no ITS, not RFDS-exempt
const SKX = { model: INTEL.SKYLAKE_X }; // RSB-alternative, GDS and ITS affected
const BDW = { model: INTEL.BROADWELL };
const BDW_D = { model: INTEL.BROADWELL_D };
const ZEN3 = { vendor: "amd", family: 0x19, model: 0x01 } as const;
const ZEN2 = { vendor: "amd", family: 0x17, model: 0x31 } as const;
const DHYANA = { vendor: "hygon", family: 0x18, model: 0x00 } as const;

const ROWS: Row[] = [
  // retpoline_calculations (Intel family 6)
  { rule: "retpoline-safe model, unaffected by RFDS/GDS/ITS", cpu: IVB, added: "rfds-no gds-no its-no" },
  { rule: "RSB alternative without ARCH_CAPS: RSBA synthesised", cpu: SKX, added: "rsba rfds-no gds-no its-no" },
  { rule: "ARCH_CAPS present: RSBA trusted as enumerated", cpu: SKX, has: "arch-caps", added: "rfds-no gds-no its-no" },
  { rule: "RSBA already enumerated", cpu: SKX, has: "rsba", added: "rfds-no gds-no its-no" },
  { rule: "eIBRS: RRSBA synthesised; SKX is ITS affected", cpu: SKX, has: "eibrs", added: "rrsba rfds-no gds-no" },
  { rule: "eIBRS with RRSBA: nothing to add", cpu: SKX, has: "eibrs rrsba", added: "rfds-no gds-no" },
  { rule: "eIBRS on a model outside the ITS list", cpu: IVB, has: "eibrs", added: "rrsba rfds-no gds-no its-no" },
  { rule: "eIBRS with BHI_CTRL is not ITS affected", cpu: SKX, has: "eibrs bhi-ctrl", added: "rrsba rfds-no gds-no its-no" },
  { rule: "model not in Xen's list", cpu: { model: INTEL.KABYLAKE }, added: "rsba rfds-no gds-no its-no" },
  { rule: "model not in Xen's list, stepping and microcode of a safe Broadwell-D", cpu: { model: INTEL.KABYLAKE, stepping: 2 }, microcode: 0xf0, added: "rsba rfds-no gds-no its-no" },
  { rule: "family 6 of another vendor (VIA Nano): no Intel rule", cpu: { vendor: "centaur", family: 6, model: 0x0f }, has: "avx", added: "" },
  { rule: "Broadwell at the safe microcode", cpu: BDW, microcode: 0x2a, added: "rfds-no gds-no its-no" },
  { rule: "Broadwell above the safe microcode", cpu: BDW, microcode: 0x2b, added: "rfds-no gds-no its-no" },
  { rule: "Broadwell below the safe microcode", cpu: BDW, microcode: 0x29, added: "rsba rfds-no gds-no its-no" },
  { rule: "Broadwell, microcode unknown = up to date", cpu: BDW, added: "rfds-no gds-no its-no" },
  { rule: "Broadwell-D stepping 2 at the safe microcode", cpu: { ...BDW_D, stepping: 2 }, microcode: 0x15, added: "rfds-no gds-no its-no" },
  { rule: "Broadwell-D stepping 2 below it", cpu: { ...BDW_D, stepping: 2 }, microcode: 0x14, added: "rsba rfds-no gds-no its-no" },
  { rule: "Broadwell-D stepping 2, microcode unknown", cpu: { ...BDW_D, stepping: 2 }, added: "rfds-no gds-no its-no" },
  { rule: "Broadwell-D stepping without a safe revision", cpu: { ...BDW_D, stepping: 1 }, added: "rsba rfds-no gds-no its-no" },
  // Intel outside family 6: only its_calculations applies
  { rule: "Intel family 19", cpu: { family: 19, model: INTEL.SKYLAKE_X }, has: "eibrs", added: "its-no" },
  // rfds_calculations
  { rule: "RFDS_NO enumerated", cpu: IVB, has: "rfds-no", added: "gds-no its-no" },
  { rule: "RFDS_CLEAR: affected", cpu: IVB, has: "rfds-clear", added: "gds-no its-no" },
  { rule: "hybrid Alder Lake: affected", cpu: { model: INTEL.ALDERLAKE }, has: "hybrid", added: "rsba gds-no its-no" },
  { rule: "non-hybrid Alder Lake: unaffected", cpu: { model: INTEL.ALDERLAKE }, added: "rsba rfds-no gds-no its-no" },
  { rule: "Alder Lake-L: affected", cpu: { model: INTEL.ALDERLAKE_L }, added: "rsba gds-no its-no" },
  { rule: "Gracemont: affected", cpu: { model: INTEL.ATOM_GRACEMONT }, added: "rsba gds-no its-no" },
  // gds_calculations
  { rule: "GDS-affected model with AVX: AVX off", cpu: SKX, has: "avx", added: "rsba rfds-no its-no", removed: "avx" },
  { rule: "GDS_CTRL: microcode mitigation on", cpu: SKX, has: "avx gds-ctrl", added: "rsba rfds-no gds-no its-no" },
  { rule: "GDS_NO enumerated", cpu: SKX, has: "avx gds-no", added: "rsba rfds-no its-no" },
  { rule: "GDS_CTRL on an unlisted model", cpu: IVB, has: "gds-ctrl", added: "rfds-no gds-no its-no" },
  { rule: "unlisted model with AVX", cpu: IVB, has: "avx", added: "rfds-no gds-no its-no" },
  // virtualised Intel: RFDS and ITS trust the parent, GDS assumes affected
  { rule: "virtualised without AVX", cpu: IVB, has: "hypervisor", added: "gds-no" },
  { rule: "virtualised with AVX", cpu: IVB, has: "hypervisor avx", added: "", removed: "avx" },
  // srso_calculations and tsa_calculations (AMD / Hygon)
  { rule: "Zen3/4: SRSO microcode, VERW flushes (microcode unknown)", cpu: ZEN3, added: "verw-clear ibpb-brtype sbpb" },
  { rule: "Zen3 virtualised: trust the parent", cpu: ZEN3, has: "hypervisor", added: "" },
  { rule: "Zen2 with IBPB, SMT on", cpu: ZEN2, has: "ibpb", added: "ibpb-brtype tsa-sq-no tsa-l1-no" },
  { rule: "Zen2 with IBPB, SMT off: SRSO_NO", cpu: ZEN2, has: "ibpb", smt: false, added: "ibpb-brtype srso-no tsa-sq-no tsa-l1-no" },
  { rule: "Zen2 without IBPB, SMT off", cpu: ZEN2, smt: false, added: "srso-no tsa-sq-no tsa-l1-no" },
  { rule: "Hygon Dhyana, SMT off: no TSA rule", cpu: DHYANA, has: "ibpb", smt: false, added: "ibpb-brtype srso-no" },
  { rule: "Hygon Dhyana, SMT on", cpu: DHYANA, smt: true, added: "" },
  { rule: "family 16h, SMT off", cpu: { vendor: "amd", family: 0x16, model: 0 }, has: "ibpb", smt: false, added: "ibpb-brtype tsa-sq-no tsa-l1-no" },
  { rule: "family 1Ah", cpu: { vendor: "amd", family: 0x1a, model: 0 }, has: "ibpb", smt: false, added: "tsa-sq-no tsa-l1-no" },
  { rule: "TSA_SQ_NO enumerated", cpu: ZEN2, has: "tsa-sq-no", added: "srso-no" , smt: false },
  { rule: "TSA_L1_NO enumerated", cpu: ZEN2, has: "tsa-l1-no", added: "srso-no", smt: false },
  { rule: "Zen3 at the TSA microcode", cpu: ZEN3, microcode: 0x0a0011d7, added: "verw-clear ibpb-brtype sbpb" },
  { rule: "Zen3 above the TSA microcode", cpu: ZEN3, microcode: 0x0a0011d8, added: "verw-clear ibpb-brtype sbpb" },
  { rule: "Zen3 below the TSA microcode", cpu: ZEN3, microcode: 0x0a0011d6, added: "ibpb-brtype sbpb" },
  { rule: "Zen3 microcode of an unlisted stepping", cpu: ZEN3, microcode: 0x0a0013ff, added: "ibpb-brtype sbpb" },
  { rule: "AMD ITS: not an Intel rule", cpu: ZEN3, has: "eibrs", added: "verw-clear ibpb-brtype sbpb" },
];

describe("synthesiseSpeculationFeatures", () => {
  it.each(ROWS)("$rule", (row) => {
    expect(synthesise(row)).toEqual({ added: split(row.added).sort(), removed: split(row.removed).sort() });
  });
});
