// The Xen release models: each rule 4.17 lacks, shown on a real CPU dump,
// with the commit that made master differ; and the accepted release names.

import { beforeEach, describe, expect, it } from "vitest";
import type { DerivedPolicies } from "../../../shared/derive/derive.ts";
import { deriveFromCpuidDump } from "../../../shared/derive/from-dump.ts";
import { RELEASE_NAMES, releaseModel } from "../../../shared/derive/release.ts";
import { featureByName } from "../../../shared/featureset/features.ts";
import { hasFeature } from "../../../shared/featureset/featureset.ts";
import { parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import type { CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { readShared } from "../../../devenv/fixtures.ts";

const dump = (vendor: string, file: string) => parseCpuidDump(readShared("fixtures", "cpuid-dumps", vendor, file), file);
const SPR = dump("intel", "sapphirerapids-xeon-w7-2475x.txt");
const has = (p: CpuPolicy, name: string) => hasFeature(policyFeatureset(p), featureByName(name)!);

describe("release names", () => {
  it("accepts 4.17 and master, master by default", () => {
    expect(RELEASE_NAMES).toEqual(["4.17", "master"]);
    expect(releaseModel().name).toBe("master");
    expect(deriveFromCpuidDump(SPR).release).toBe("master");
  });

  it("rejects anything else naming the accepted releases", () => {
    for (const bad of ["4.16", "4.17.5", "Master", ""]) {
      expect(() => deriveFromCpuidDump(SPR, { release: bad })).toThrow(`Xen release "${bad}" is not modelled; accepted: 4.17, master`);
    }
  });
});

describe("4.17 against master on Sapphire Rapids", () => {
  // derived before each test, not while collecting nor in beforeAll: Stryker activates its mutant
  // only for hooks and tests, and counts a mutant covered by the tests whose beforeEach or body reaches it
  let r417: DerivedPolicies;
  let master: DerivedPolicies;
  beforeEach(() => {
    r417 = deriveFromCpuidDump(SPR, { release: "4.17" });
    master = deriveFromCpuidDump(SPR, { release: "master" });
  });

  it("e291c4c3e1 x86emul: AVX512-FP16 testing: AVX512-FP16 offered to guests", () => {
    expect([has(r417.host, "avx512-fp16"), has(master.host, "avx512-fp16")]).toEqual([true, true]);
    expect([has(r417.hvm_default, "avx512-fp16"), has(master.hvm_default, "avx512-fp16")]).toEqual([false, true]);
  });

  it("5afb11ac40 / cd8fc0e9f3 / e3b5440012: features 4.17's header lacks are not even in its host policy", () => {
    for (const f of ["waitpkg", "pks", "amx-int8"]) expect([has(r417.host, f), has(master.host, f)], f).toEqual([false, true]);
  });

  it("fa2d831803 x86/cpu-policy: Extend the guest max policy max leaf/subleaves", () => {
    expect([r417.hvm_max.basic[0].eax, master.hvm_max.basic[0].eax]).toEqual([r417.host.basic[0].eax, 0xd]);
    expect([r417.hvm_max.feat[0].eax, master.hvm_max.feat[0].eax]).toEqual([2, 2]);
  });

  it("f6894fdfa8 x86/cpu-policy: move invocation of recalculate_misc(): 4.17 cleans the host policy itself", () => {
    expect(r417.host.basic[5]).toEqual({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
    expect(master.host.basic[5]).toEqual(master.raw.basic[5]);
    expect(master.raw.basic[5].eax).not.toBe(0);
  });

  it("233a8f20cf VMX/cpu-policy: check availability of RDTSCP and INVPCID", () => {
    const vmx = { rdtscp: false, invpcid: false };
    const old = deriveFromCpuidDump(SPR, { release: "4.17", vmx });
    const now = deriveFromCpuidDump(SPR, { release: "master", vmx });
    for (const f of ["rdtscp", "invpcid"]) expect([has(old.hvm_max, f), has(now.hvm_max, f)], f).toEqual([true, false]);
  });

  it("5cbaa5d92e x86: suppress ERMS for internal use when MISC_ENABLE.FAST_STRING is clear", () => {
    const old = deriveFromCpuidDump(SPR, { release: "4.17", fastStrings: false });
    const now = deriveFromCpuidDump(SPR, { release: "master", fastStrings: false });
    expect([has(old.host, "erms"), has(now.host, "erms")]).toEqual([true, false]);
    // master still lets VMs that saw ERMS migrate in, but defaults to the host's view.
    expect([has(old.pv_max, "erms"), has(now.pv_max, "erms")]).toEqual([true, true]);
    expect([has(old.pv_default, "erms"), has(now.pv_default, "erms")]).toEqual([true, false]);
  });
});

describe("4.17 against master on AMD", () => {
  it("4f8b0e94d7 / 0cd50753eb: nested SVM clamped in the host policy, with TscRateMSR", () => {
    const rome = dump("amd", "rome-epyc-7402p.txt");
    const r417 = deriveFromCpuidDump(rome, { release: "4.17" });
    const master = deriveFromCpuidDump(rome, { release: "master" });
    expect(master.host.extd[0xa]).toEqual(master.raw.extd[0xa]);
    expect(r417.host.extd[0xa].edx).toBe(r417.hvm_max.extd[0xa].edx);
    expect(r417.hvm_max.extd[0xa].edx ^ master.hvm_max.extd[0xa].edx).toBe(1 << 4);
  });

  it("85191cf321 x86: drop Xeon Phi support: 4.17 still offers the Xeon Phi AVX-512 subsets", () => {
    const masks = { r417: releaseModel("4.17"), master: releaseModel("master") };
    for (const f of ["avx512er", "avx512pf", "avx512-4vnniw", "avx512-4fmaps"]) {
      const v = featureByName(f)!;
      const inDefault = (m: typeof masks.r417) => ((m.guestMask("pv", "default")[v.word] >>> v.bit) & 1) === 1;
      expect([inDefault(masks.r417), inDefault(masks.master)], f).toEqual([true, false]);
    }
  });
});
