// Which Xen release the derivation emulates. Master is the reference
// implementation; every other release is described by how it differs from
// master, each difference tied to the Xen commit that introduced it. "4.17"
// is the stable-4.17 branch as last released (RELEASE-4.17.7, 9373a593c5):
// the security backports (GDS, RFDS, ITS, TSA, SRSO, the ARCH_CAPS and
// VERW_CLEAR max/default handling, the RTM_ALWAYS_ABORT mismatch) are on that
// branch and need no entry here.

import { featureByName, type Feature } from "../featureset/features.ts";
import { buildMasks, MASTER_MASKS, type FeatureMasks } from "../featureset/masks.ts";

export const RELEASE_NAMES = ["4.17", "master"] as const;
export type ReleaseName = (typeof RELEASE_NAMES)[number];
export const DEFAULT_RELEASE: ReleaseName = "master";

export interface ReleaseModel extends FeatureMasks {
  name: ReleaseName;
  /** fa2d831803 "x86/cpu-policy: Extend the guest max policy max leaf/subleaves": guest max policies raise the max basic and extended leaf too (4.17: only leaf 7's max subleaf) */
  guestMaxAllLeaves: boolean;
  /** 5cbaa5d92e "x86: suppress ERMS for internal use when MISC_ENABLE.FAST_STRING is clear": ERMS forced in max, back to the host's in default; FAST_STRING clear drops ERMS */
  ermsHint: boolean;
  /** f6894fdfa8 "x86/cpu-policy: move invocation of recalculate_misc()": recalculate_misc runs on each guest max policy (4.17: on the host policy) */
  miscInGuestMax: boolean;
  /** 4f8b0e94d7 "x86: Move SVM features exposed to guest into hvm_max_cpu_policy": leaf 0x8000000a clamped in the HVM max policy (4.17: in the host policy) */
  svmClampInHvmMax: boolean;
  /** 0cd50753eb "nestedsvm: Disable TscRateMSR": nested SVM offers TscRateMSR (true only before this commit) */
  svmTscRateMsr: boolean;
  /** 233a8f20cf "VMX/cpu-policy: check availability of RDTSCP and INVPCID": HVM max drops RDTSCP / INVPCID when VT-x lacks their exec controls */
  vmxRdtscpInvpcidChecked: boolean;
}

/** Features master's cpufeatureset.h has and stable-4.17's lacks, by the commit that added them. */
const ADDED_AFTER_417: ReadonlyArray<readonly [commit: string, subject: string, features: string]> = [
  ["01bdc6d2d2", "xen/x86: add CPPC feature flag for AMD processors", "cppc"],
  ["390777414a", "x86emul: support SM3", "sm3"],
  ["3d65f1c072", "x86emul: support CMPccXADD", "cmpccxadd"],
  ["4d6b0c2ac7", "x86: Fix calculation of %dr6/dr7 reserved bits", "bld"],
  ["5873740e41", "x86/spec-ctrl: Support Intel's new PB-OPT", "pb-opt-ctrl"],
  ["59b18eb757", "x86emul: support non-SIMD MOVRS", "movrs"],
  ["5afb11ac40", "x86/cpufeatures: Add new cpuid features in SPR to featureset", "la57 pconfig sdbg sgx-keys sgx-lc tme waitpkg xfd"],
  ["5b49f5e09d", "x86: Add AMD's CpuidUserDis bit definitions", "cpuid-user-dis"],
  ["65c4e7472c", "x86emul: support AVX-NE-CONVERT insns", "avx-ne-convert"],
  ["80ff09ffe2", "x86: Initial support for WRMSRNS", "wrmsrns"],
  ["842acaa743", "x86emul: support AVX-VNNI-INT8", "avx-vnni-int8"],
  ["843265ad0b", "x86/cpuid: enumerate and expose PREFETCHIT{0,1}", "prefetchi"],
  ["aa18530282", "x86emul: support SHA512", "sha512"],
  ["c8bb7553f2", "x86emul: support AVX-VNNI-INT16", "avx-vnni-int16"],
  ["cd8fc0e9f3", "x86/prot-key: Enumeration for Protection Key Supervisor", "pks"],
  ["cef805dce4", "x86emul: support SM4", "sm4"],
  ["d04ae78c34", "x86/spec-ctrl: Enumerations for DDP controls", "ddp-ctrl"],
  ["d31a111940", "x86/xstate: Cross-check dynamic XSTATE sizes at boot", "amx-tile arch-lbr uintr"],
  ["d45113dddf", "x86: FRED enumerations", "fred lkgs nmi-src"],
  ["da232f1f11", "x86emul: support AVX-IFMA insns", "avx-ifma"],
  [
    "e0d0af238d",
    "x86/cpufeatures: cpuid features for Sierra Forest",
    "arch-perf-mon ign-umonitor lam lass mcu-ext mon-umon-mitg msrlist no-invd slsm uc-lock-dis uiret-uif",
  ],
  ["e3b5440012", "x86/xstate: enable AMX components", "amx-bf16 amx-complex amx-fp16 amx-int8"],
  ["ea3d4312f7", "x86emul: support AVX512-BMM", "avx512-bmm"],
  ["ee973396f0", "x86/cpuid: More AMD features", "addr-msk-ext amd-fsrc amd-fsrs amd-prefetchi epsf fsrsc fs-gs-ns no-nest-bp"],
];

/** Features whose guest annotation master changed since stable-4.17: [commit, subject, feature, 4.17's annotation]. */
const ANNOTATIONS_417: ReadonlyArray<readonly [commit: string, subject: string, feature: string, annotation: string]> = [
  ["e291c4c3e1", "x86emul: AVX512-FP16 testing", "avx512-fp16", ""],
  ["defaf65163", "x86/hvm: Expose Automatic IBRS to guests", "auto-ibrs", ""],
  ["85191cf321", "x86: drop Xeon Phi support", "avx512er", "A"],
  ["85191cf321", "x86: drop Xeon Phi support", "avx512pf", "A"],
  ["85191cf321", "x86: drop Xeon Phi support", "avx512-4vnniw", "A"],
  ["85191cf321", "x86: drop Xeon Phi support", "avx512-4fmaps", "A"],
];

function mustFeature(name: string): Feature {
  const f = featureByName(name);
  if (!f) throw new Error(`release model names unknown feature "${name}"`);
  return f;
}

function masks417(): FeatureMasks {
  const absent = new Set(ADDED_AFTER_417.flatMap(([, , names]) => names.split(" ").map((n) => mustFeature(n).value)));
  const annotation = new Map(ANNOTATIONS_417.map(([, , name, a]) => [mustFeature(name).value, a]));
  return buildMasks((f) => (absent.has(f.value) ? undefined : (annotation.get(f.value) ?? f.annotation)));
}

const MASTER: ReleaseModel = {
  name: "master",
  ...MASTER_MASKS,
  guestMaxAllLeaves: true,
  ermsHint: true,
  miscInGuestMax: true,
  svmClampInHvmMax: true,
  svmTscRateMsr: false,
  vmxRdtscpInvpcidChecked: true,
};

/** built when first asked for: most runs model master only */
let model417: ReleaseModel | undefined;
const release417 = (): ReleaseModel =>
  (model417 ??= {
    name: "4.17",
    ...masks417(),
    guestMaxAllLeaves: false,
    ermsHint: false,
    miscInGuestMax: false,
    svmClampInHvmMax: false,
    svmTscRateMsr: true,
    vmxRdtscpInvpcidChecked: false,
  });

export function isReleaseName(text: string): text is ReleaseName {
  return (RELEASE_NAMES as readonly string[]).includes(text);
}

/** The model of a release; anything but a modelled release name is a RangeError naming the accepted ones. */
export function releaseModel(name: string = DEFAULT_RELEASE): ReleaseModel {
  if (!isReleaseName(name)) {
    throw new RangeError(`Xen release "${name}" is not modelled; accepted: ${RELEASE_NAMES.join(", ")}`);
  }
  return name === "master" ? MASTER : release417();
}
