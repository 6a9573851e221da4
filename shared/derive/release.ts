// Which Xen release the derivation emulates. Master is the reference
// implementation; every other release is described by how it differs from
// master, each difference tied to the Xen commit that introduced it. "4.17"
// is the stable-4.17 branch as last released (RELEASE-4.17.7, 9373a593c5):
// the security backports (GDS, RFDS, ITS, TSA, SRSO, the ARCH_CAPS and
// VERW_CLEAR max/default handling, the RTM_ALWAYS_ABORT mismatch) are on that
// branch and need no entry here.

import { featureByName, type Feature } from "../featureset/features.ts";
import { buildMasks, type FeatureMasks } from "../featureset/masks.ts";

export const RELEASE_NAMES = ["4.17", "master"] as const;
export type ReleaseName = (typeof RELEASE_NAMES)[number];
export const DEFAULT_RELEASE: ReleaseName = "master";

export interface ReleaseModel extends FeatureMasks {
  name: ReleaseName;
  /** fa2d831803: guest max policies raise basic/extd max leaves too, not only leaf 7's max subleaf */
  guestMaxAllLeaves: boolean;
  /** 5cbaa5d92e: ERMS forced in max, reset to the host's in default; FAST_STRING clear drops ERMS */
  ermsHint: boolean;
  /** f6894fdfa8: recalculate_misc runs on each guest max policy instead of the host policy */
  miscInGuestMax: boolean;
  /** 4f8b0e94d7: leaf 0x8000000a is clamped in the HVM max policy instead of the host policy */
  svmClampInHvmMax: boolean;
  /** 0cd50753eb: nested SVM no longer offers TscRateMSR */
  svmTscRateMsr: boolean;
  /** 233a8f20cf: HVM max drops RDTSCP / INVPCID when VT-x lacks their exec controls */
  vmxRdtscpInvpcidChecked: boolean;
}

/** One difference of a release from master, traced to the Xen commit that made master differ. */
export interface ReleaseChange {
  commit: string;
  subject: string;
  what: string;
}

/** Features master's cpufeatureset.h has and stable-4.17's lacks, by the commit that added them. */
export const ADDED_AFTER_417: ReadonlyArray<readonly [ReleaseChange["commit"], string, string]> = [
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
export const ANNOTATIONS_417: ReadonlyArray<readonly [string, string, string, string]> = [
  ["e291c4c3e1", "x86emul: AVX512-FP16 testing", "avx512-fp16", ""],
  ["defaf65163", "x86/hvm: Expose Automatic IBRS to guests", "auto-ibrs", ""],
  ["85191cf321", "x86: drop Xeon Phi support", "avx512er", "A"],
  ["85191cf321", "x86: drop Xeon Phi support", "avx512pf", "A"],
  ["85191cf321", "x86: drop Xeon Phi support", "avx512-4vnniw", "A"],
  ["85191cf321", "x86: drop Xeon Phi support", "avx512-4fmaps", "A"],
];

/** The rule changes (not featureset changes) 4.17 lacks, as ReleaseModel flags. */
export const RULES_417: Readonly<Record<Exclude<keyof ReleaseModel, "name" | keyof FeatureMasks>, ReleaseChange>> = {
  guestMaxAllLeaves: {
    commit: "fa2d831803",
    subject: "x86/cpu-policy: Extend the guest max policy max leaf/subleaves",
    what: "4.17 guest max policies keep the host's max basic and extended leaf",
  },
  ermsHint: {
    commit: "5cbaa5d92e",
    subject: "x86: suppress ERMS for internal use when MISC_ENABLE.FAST_STRING is clear",
    what: "4.17 neither forces ERMS into max policies nor drops it when FAST_STRING is clear",
  },
  miscInGuestMax: {
    commit: "f6894fdfa8",
    subject: "x86/cpu-policy: move invocation of recalculate_misc()",
    what: "4.17 applies recalculate_misc to the host policy itself",
  },
  svmClampInHvmMax: {
    commit: "4f8b0e94d7",
    subject: "x86: Move SVM features exposed to guest into hvm_max_cpu_policy",
    what: "4.17 clamps leaf 0x8000000a in the host policy",
  },
  svmTscRateMsr: {
    commit: "0cd50753eb",
    subject: "nestedsvm: Disable TscRateMSR",
    what: "4.17 offers TscRateMSR (0x8000000a edx bit 4) to nested SVM",
  },
  vmxRdtscpInvpcidChecked: {
    commit: "233a8f20cf",
    subject: "VMX/cpu-policy: check availability of RDTSCP and INVPCID",
    what: "4.17 offers RDTSCP and INVPCID to HVM whatever the VT-x controls",
  },
};

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

const MODELS: Readonly<Record<ReleaseName, ReleaseModel>> = {
  master: {
    name: "master",
    ...buildMasks((f) => f.annotation),
    guestMaxAllLeaves: true,
    ermsHint: true,
    miscInGuestMax: true,
    svmClampInHvmMax: true,
    svmTscRateMsr: false,
    vmxRdtscpInvpcidChecked: true,
  },
  "4.17": {
    name: "4.17",
    ...masks417(),
    guestMaxAllLeaves: false,
    ermsHint: false,
    miscInGuestMax: false,
    svmClampInHvmMax: false,
    svmTscRateMsr: true,
    vmxRdtscpInvpcidChecked: false,
  },
};

export function isReleaseName(text: string): text is ReleaseName {
  return (RELEASE_NAMES as readonly string[]).includes(text);
}

/** The model of a release; anything but a modelled release name is a RangeError naming the accepted ones. */
export function releaseModel(name: string = DEFAULT_RELEASE): ReleaseModel {
  if (!isReleaseName(name)) {
    throw new RangeError(`Xen release "${name}" is not modelled; accepted: ${RELEASE_NAMES.join(", ")}`);
  }
  return MODELS[name];
}
