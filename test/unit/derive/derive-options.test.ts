// The derivation's options and the host facts derive.ts works out itself
// (SMT, SVM's MSR_SPEC_CTRL, AMD's legacy SSBD), seen in the policies they change.

import { describe, expect, it } from "vitest";
import { deriveFromXenHost, deriveHostPolicies, type DerivedPolicies } from "../../../shared/derive/derive.ts";
import { deriveFromCpuidDump } from "../../../shared/derive/from-dump.ts";
import type { DeriveOptions } from "../../../shared/derive/options.ts";
import { featureNames } from "../../../shared/featureset/featureset.ts";
import { parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import type { CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import { cpuidDumpFixtures } from "../../../devenv/fixtures.ts";
import { syntheticRaw, xenPolicies, type SyntheticCpu } from "./support.ts";

const DUMPS = new Map(cpuidDumpFixtures());
const fromDump = (name: string, options: DeriveOptions = {}) => deriveFromCpuidDump(parseCpuidDump(DUMPS.get(name)!, name), options);
const has = (p: CpuPolicy, feature: string) => featureNames(policyFeatureset(p)).includes(feature);
const CASCADE_LAKE = "intel/cascadelake-sp-xeon-platinum-8280.txt";
const ICE_LAKE = "intel/icelake-sp-xeon-platinum-8351n.txt";
const NAPLES = "amd/naples-epyc-7551p.txt"; // Zen1: no AMD_SSBD, no SVM MSR_SPEC_CTRL
const ROME = "amd/rome-epyc-7402p.txt"; // Zen2: IBRS, AMD_SSBD, SVM MSR_SPEC_CTRL

/** An AMD raw policy with extended leaves up to `extdMax`; leaf 0x8000001e says `threads` per core. */
function amdRaw(family: number, features: string, extdMax: number, threads = 2): CpuPolicy {
  const cpu: SyntheticCpu = { vendor: "amd", family, model: 0x01, features };
  const raw = syntheticRaw(cpu);
  raw.extd[0].eax = extdMax;
  raw.extd[0x1e].ebx = (threads - 1) << 8;
  return raw;
}

describe("MSR_SPEC_CTRL virtualisation (spec-ctrl=msr-sc=)", () => {
  it("Intel (IBRSB): on by default for PV and HVM, off on request", () => {
    const on = fromDump(CASCADE_LAKE);
    expect([has(on.pv_max, "ibrsb"), has(on.hvm_max, "ibrsb")]).toEqual([true, true]);
    const pvOff = fromDump(CASCADE_LAKE, { msrScPv: false });
    expect([has(pvOff.pv_max, "ibrsb"), has(pvOff.pv_max, "ibrs"), has(pvOff.hvm_max, "ibrsb")]).toEqual([false, false, true]);
    const hvmOff = fromDump(CASCADE_LAKE, { msrScHvm: false });
    expect([has(hvmOff.pv_max, "ibrsb"), has(hvmOff.hvm_max, "ibrsb")]).toEqual([true, false]);
  });

  it("AMD (IBRS only): never for PV; for HVM when SVM virtualises MSR_SPEC_CTRL", () => {
    const rome = fromDump(ROME);
    expect([has(rome.host, "ibrs"), has(rome.pv_max, "ibrs"), has(rome.hvm_max, "ibrs")]).toEqual([true, false, true]);
    expect(has(fromDump(ROME, { msrScHvm: false }).hvm_max, "ibrs")).toBe(false);
  });

  it("SVM's MSR_SPEC_CTRL bit counts only within the extended leaves the CPU has", () => {
    const svmSpecCtrl = (extdMax: number, bit: boolean) => {
      const raw = amdRaw(0x17, "svm ibrs", extdMax);
      raw.extd[0xa].edx = bit ? 1 << 20 : 0;
      return has(deriveHostPolicies(raw).hvm_max, "ibrs");
    };
    expect(svmSpecCtrl(0x8000000a, true)).toBe(true);
    expect(svmSpecCtrl(0x8000000a, false)).toBe(false);
    expect(svmSpecCtrl(0x80000009, true)).toBe(false);
  });
});

describe("VIRT_SSBD for HVM (amd_init_ssbd)", () => {
  const virtSsbd = (d: DerivedPolicies) => [has(d.hvm_max, "virt-ssbd"), has(d.hvm_default, "virt-ssbd")];

  it("Zen1 through LS_CFG, unless msr-sc=no-hvm", () => {
    expect(virtSsbd(fromDump(NAPLES))).toEqual([true, true]);
    expect(virtSsbd(fromDump(NAPLES, { msrScHvm: false }))).toEqual([false, false]);
  });

  it("AMD_SSBD: max only (Xen offers it through MSR_SPEC_CTRL by default)", () => {
    expect(virtSsbd(fromDump(ROME))).toEqual([true, false]);
  });

  it.each([
    [0x14, "svm", false],
    [0x15, "svm", true],
    [0x18, "svm", true],
    [0x19, "svm", false],
    [0x17, "svm ssb-no", false],
    [0x17, "svm virt-ssbd", true],
  ])("family %s with %s: %s", (family, features, expected) => {
    expect(virtSsbd(deriveHostPolicies(amdRaw(family, features, 0x80000008)))).toEqual([expected, expected]);
  });
});

describe("SMT (srso_calculations: Zen1/Zen2 without SMT are not affected)", () => {
  const srsoNo = (raw: CpuPolicy, options: DeriveOptions = {}) => has(deriveHostPolicies(raw, options).host, "srso-no");

  it("Naples has SMT by its topology; smt=false says otherwise", () => {
    expect(has(fromDump(NAPLES).host, "srso-no")).toBe(false);
    expect(has(fromDump(NAPLES, { smt: false }).host, "srso-no")).toBe(true);
  });

  it.each([
    ["two threads per core", "topoext", 0x8000001e, 2, false],
    ["one thread per core", "topoext", 0x8000001e, 1, true],
    ["no leaf 0x8000001e", "topoext", 0x8000001d, 2, true],
    ["no TOPOEXT", "", 0x8000001e, 2, true],
  ])("%s: SRSO_NO %s", (_what, features, extdMax, threads, expected) => {
    expect(srsoNo(amdRaw(0x17, features, extdMax, threads))).toBe(expected);
  });

  it("smt=true overrides a topology without SMT", () => {
    expect(srsoNo(amdRaw(0x17, "topoext", 0x8000001e, 1), { smt: true })).toBe(false);
  });
});

describe("other options", () => {
  it("bp-spec-reduce: SRSO_US_NO for PV needs it and SRSO_MSR_FIX", () => {
    expect(has(fromDump("amd/turin-epyc-9655.txt").pv_max, "srso-us-no")).toBe(true);
    expect(has(fromDump("amd/turin-epyc-9655.txt", { bpSpecReduce: false }).pv_max, "srso-us-no")).toBe(false);
    expect(has(deriveHostPolicies(amdRaw(0x19, "srso-us-no", 0x80000021)).pv_max, "srso-us-no")).toBe(false);
  });

  it("vpmu: leaf 0xa stays in the host policy only with vpmu=on", () => {
    const off = fromDump(CASCADE_LAKE);
    const on = fromDump(CASCADE_LAKE, { vpmu: true });
    expect(off.host.basic[0xa]).toEqual({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
    expect(on.host.basic[0xa]).toEqual(off.raw.basic[0xa]);
    expect(on.raw.basic[0xa].eax).not.toBe(0);
  });

  it("hap: shadow paging hides the HAP-only features from HVM", () => {
    expect(has(fromDump(CASCADE_LAKE).hvm_max, "page1gb")).toBe(true);
    expect(has(fromDump(CASCADE_LAKE, { hap: false }).hvm_max, "page1gb")).toBe(false);
  });
});

describe("deriveFromXenHost", () => {
  const xen = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");

  it("without cpuid= the reported Host policy is taken as it is", () => {
    const host = syntheticRaw({ vendor: "intel", family: 6, model: 0x3a, features: "xsave avx vmx" });
    expect(serialisePolicy(deriveFromXenHost(host).host)).toEqual(serialisePolicy(host));
  });

  it("cpuid=no-avx shrinks the host's xstate leaf", () => {
    expect(xen.host.xstate[0].eax & 4).toBe(4);
    const d = deriveFromXenHost(xen.host, { raw: xen.raw, cmdline: "no-avx" });
    expect(has(d.host, "avx")).toBe(false);
    expect(d.host.xstate[0].eax & 4).toBe(0);
  });

  it("tsx=0 on a TSX_CTRL host hides RTM from default policies", () => {
    const d = fromDump(ICE_LAKE);
    const again = deriveFromXenHost(d.host, { raw: d.raw, tsx: false });
    expect([has(again.hvm_default, "rtm"), has(again.hvm_default, "rtm-always-abort")]).toEqual([false, true]);
    expect(has(deriveFromXenHost(d.host, { raw: d.raw }).hvm_default, "rtm")).toBe(true);
  });

  it("cpuid=rdrand keeps RDRAND in Ivy Bridge's default policies (SRBDS)", () => {
    const host = syntheticRaw({ vendor: "intel", family: 6, model: 0x3a, features: "rdrand" });
    expect(has(deriveFromXenHost(host).pv_default, "rdrand")).toBe(false);
    expect(has(deriveFromXenHost(host, { cmdline: "rdrand" }).pv_default, "rdrand")).toBe(true);
  });
});
