// Guest policy rules (cpu-policy.c's guest_common_*_adjustments and the
// per-guest-type steps), each on a real dump or a synthetic CPU.

import { describe, expect, it } from "vitest";
import { deriveHostPolicies } from "../../../shared/derive/derive.ts";
import { deriveFromCpuidDump } from "../../../shared/derive/from-dump.ts";
import type { DeriveOptions } from "../../../shared/derive/options.ts";
import { featureNames } from "../../../shared/featureset/featureset.ts";
import { parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import type { CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { cpuidDumpFixtures } from "../../../devenv/fixtures.ts";
import { syntheticRaw, type SyntheticCpu } from "./support.ts";

const DUMPS = new Map(cpuidDumpFixtures());
const fromDump = (name: string, options: DeriveOptions = {}) => deriveFromCpuidDump(parseCpuidDump(DUMPS.get(name)!, name), options);
const synthetic = (cpu: SyntheticCpu, options: DeriveOptions = {}) => deriveHostPolicies(syntheticRaw(cpu), options);
const has = (p: CpuPolicy, feature: string) => featureNames(policyFeatureset(p)).includes(feature);
const intel = (model: number, features: string): SyntheticCpu => ({ vendor: "intel", family: 6, model, features });
const SKYLAKE_SP = "intel/skylake-sp-xeon-platinum-8160-2s.txt";
const ROME = "amd/rome-epyc-7402p.txt";

describe("max policies offer what VMs from elsewhere may have seen; defaults go back to the host", () => {
  it("HTT and CMP_LEGACY: in max, in default only when the host has them", () => {
    const d = synthetic(intel(0x3a, "vmx"));
    expect([has(d.pv_max, "htt"), has(d.pv_max, "cmp-legacy"), has(d.hvm_max, "htt")]).toEqual([true, true, true]);
    expect([has(d.pv_default, "htt"), has(d.hvm_default, "cmp-legacy")]).toEqual([false, false]);
    expect(has(synthetic(intel(0x3a, "vmx htt")).hvm_default, "htt")).toBe(true);
  });

  it("ERMS: master offers it in max (5cbaa5d92e), 4.17 does not", () => {
    expect(has(synthetic(intel(0x3a, "vmx")).hvm_max, "erms")).toBe(true);
    expect(has(synthetic(intel(0x3a, "vmx"), { release: "4.17" }).hvm_max, "erms")).toBe(false);
  });

  it("FB_CLEAR: in Intel max, in default only when the host has it", () => {
    const without = synthetic(intel(0x6a, "vmx arch-caps"));
    expect([has(without.hvm_max, "fb-clear"), has(without.hvm_default, "fb-clear")]).toEqual([true, false]);
    expect(has(synthetic(intel(0x6a, "vmx arch-caps fb-clear")).hvm_default, "fb-clear")).toBe(true);
  });

  it("CLWB comes back in max only on Skylake-X (Xen hid it from itself there), not after cpuid=no-clwb", () => {
    expect(has(fromDump(SKYLAKE_SP).host, "clwb")).toBe(false);
    expect(has(fromDump(SKYLAKE_SP).hvm_max, "clwb")).toBe(true);
    const ice = fromDump("intel/icelake-sp-xeon-platinum-8351n.txt", { cmdline: "no-clwb" });
    expect([has(ice.raw, "clwb"), has(ice.hvm_max, "clwb"), has(ice.pv_max, "clwb")]).toEqual([true, false, false]);
  });
});

describe("speculation controls for guests", () => {
  it("AMD: IBRS implies AMD_STIBP for guests; Intel's STIBP needs IBRSB", () => {
    const amd = (features: string) => {
      const raw = syntheticRaw({ vendor: "amd", family: 0x19, model: 0x01, features });
      raw.extd[0].eax = 0x8000000a;
      raw.extd[0xa].edx = 1 << 20; // SVM virtualises MSR_SPEC_CTRL
      return deriveHostPolicies(raw);
    };
    expect([has(amd("svm ibrs").hvm_max, "amd-stibp"), has(amd("svm ibrs").hvm_max, "stibp")]).toEqual([true, false]);
    expect(has(amd("svm").hvm_max, "amd-stibp")).toBe(false);
  });
});

describe("HVM max", () => {
  it("always offers the local APIC (emulated)", () => {
    expect(has(synthetic(intel(0x3a, "vmx")).hvm_max, "apic")).toBe(true);
  });

  it("SYSENTER: AMD's comes back for HVM, a cpuid=no-sep stays", () => {
    const rome = fromDump(ROME);
    expect([has(rome.raw, "sep"), has(rome.host, "sep"), has(rome.hvm_max, "sep"), has(rome.pv_max, "sep")]).toEqual([true, false, true, false]);
    expect(has(fromDump(SKYLAKE_SP, { cmdline: "no-sep" }).hvm_max, "sep")).toBe(false);
  });

  it("VT-x controls gate MPX and XSAVES", () => {
    expect([has(fromDump(SKYLAKE_SP).hvm_max, "mpx"), has(fromDump(SKYLAKE_SP).hvm_max, "xsaves")]).toEqual([true, true]);
    const noControls = fromDump(SKYLAKE_SP, { vmx: { mpx: false, xsaves: false } });
    expect([has(noControls.hvm_max, "mpx"), has(noControls.hvm_max, "xsaves")]).toEqual([false, false]);
  });

  it("VT-x controls do not apply on AMD-V", () => {
    expect(has(fromDump(ROME, { vmx: { xsaves: false } }).hvm_max, "xsaves")).toBe(true);
  });

  it("PKS only with VT-x", () => {
    expect(has(synthetic(intel(0x8f, "vmx pks")).hvm_max, "pks")).toBe(true);
    expect(has(synthetic({ vendor: "amd", family: 0x19, model: 0x11, features: "svm pks" }).hvm_max, "pks")).toBe(false);
  });
});

describe("no XSAVE", () => {
  it("Dunnington: leaf 0xd all zero in every policy", () => {
    const d = fromDump("intel/dunnington-xeon-e7450.txt");
    expect(has(d.raw, "xsave")).toBe(false);
    for (const p of [d.host, d.pv_max, d.pv_default, d.hvm_max, d.hvm_default]) expect(p.xstate.slice(0, 3)).toEqual([0, 0, 0].map(() => ({ eax: 0, ebx: 0, ecx: 0, edx: 0 })));
  });
});
