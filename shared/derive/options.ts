// Host-side facts that decide Xen's policies but are not visible in CPUID:
// boot options, hypervisor capabilities, microcode. Every field is optional;
// the default is what Xen would do (or find) on bare metal with its default
// command line and up-to-date microcode.

import type { CpuPolicy } from "../policy/cpu-policy.ts";

export interface VmxControls {
  /** secondary exec control "enable RDTSCP" */
  rdtscp: boolean;
  /** secondary exec control "enable INVPCID" */
  invpcid: boolean;
  /** VM-entry/exit BNDCFGS load/clear controls */
  mpx: boolean;
  /** secondary exec control "enable XSAVES/XRSTORS" */
  xsaves: boolean;
}

export interface DeriveOptions {
  /** the Xen release whose rules to emulate (release.ts RELEASE_NAMES). Default "master". */
  release?: string;
  /** value of Xen's `cpuid=` boot option, e.g. "no-avx512f,rdrand" */
  cmdline?: string;
  /** HVM usable (VT-x / AMD-V started). Default: VMX or SVM in Xen's capabilities. */
  hvm?: boolean;
  /** HAP (EPT / NPT) usable for HVM guests. Default: true whenever HVM is. */
  hap?: boolean;
  /** `vpmu=` on. Default false (Xen's default): leaf 0xa is hidden from the host policy on. */
  vpmu?: boolean;
  /** `spec-ctrl=msr-sc=` for PV / HVM: Xen virtualises MSR_SPEC_CTRL. Default on. */
  msrScPv?: boolean;
  msrScHvm?: boolean;
  /** `spec-ctrl=bp-spec-reduce=`. Default on. */
  bpSpecReduce?: boolean;
  /** `tsx=`. Default: Xen's own choice (see tsx.ts). */
  tsx?: boolean;
  /** Hardware SMT enabled (only AMD/Hygon rules ask). Default: from the topology leaf 0x8000001e. */
  smt?: boolean;
  /**
   * Microcode revision (Intel: MSR 0x8b bits 63:32, AMD: bits 31:0). Default:
   * unknown, treated as up to date for every microcode-gated decision.
   */
  microcodeRevision?: number;
  /** IA32_MISC_ENABLE.FAST_STRING (MSR 0x1a0 bit 0). Default on; off makes Xen drop ERMS. */
  fastStrings?: boolean;
  /** VT-x controls Xen checks before offering a feature to HVM. Default: present when the feature is. */
  vmx?: Partial<VmxControls>;
  /**
   * The Raw policy, when deriving from Xen's reported Host policy: the source
   * of xstate component sizes, of features Xen hides from itself but gives
   * back to guests (CLWB on Skylake-X, SEP on AMD), and of the TSX state.
   * Default: the Host policy stands in for it.
   */
  raw?: CpuPolicy;
}
