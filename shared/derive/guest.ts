// Xen's guest policies (calculate_{pv,hvm}_{max,def}_policy): each starts from
// the host (max) or the matching max policy (default), masks the featureset
// by the annotations, applies Xen's adjustments, sanitises the dependencies
// and rebuilds leaf 0xd.

import { sanitiseFeatureset } from "../featureset/dependencies.ts";
import type { Feature } from "../featureset/features.ts";
import { hasFeature, setFeature, type Featureset } from "../featureset/featureset.ts";
import { BASIC_LEAVES, EXTD_BASE, EXTD_LEAVES, FEAT_SUBLEAVES, copyPolicy, zeroRegs, type CpuPolicy } from "../policy/cpu-policy.ts";
import { policyFeatureset, setPolicyFeatureset } from "../policy/featureset-io.ts";
import { INTEL, intelFam6, type CpuModel } from "./cpu-model.ts";
import { X } from "./features.ts";
import { PLATFORM_INFO_CPUID_FAULTING } from "./host.ts";
import type { VmxControls } from "./options.ts";
import type { ReleaseModel } from "./release.ts";
import { clampNestedSvm } from "./svm.ts";
import { recalculateMisc } from "./misc.ts";
import { recalculateXstate } from "./xstate.ts";
import { isAmdLike } from "../policy/vendor.ts";

/** Everything about the host the guest policies depend on, resolved. */
export interface GuestContext {
  cpu: CpuModel;
  host: CpuPolicy;
  /** Xen's own feature view (= the host policy's featureset) */
  hostFs: Featureset;
  /** source of xstate component sizes */
  raw: CpuPolicy;
  /** the hardware's features: CLWB (Skylake-X) and SEP (AMD), which Xen hides from itself */
  rawFs: Featureset;
  hap: boolean;
  /** X86_FEATURE_SC_MSR_PV / SC_MSR_HVM: Xen virtualises MSR_SPEC_CTRL */
  scMsrPv: boolean;
  scMsrHvm: boolean;
  amdVirtSpecCtrl: boolean;
  /** SRSO_MSR_FIX present and BP_SPEC_REDUCE active */
  bpSpecReduceActive: boolean;
  vmx: VmxControls;
  rtmDisabled: boolean;
  rdrandForced: boolean;
  release: ReleaseModel;
}

const setBit = (fs: Featureset, f: Feature) => setFeature(fs, f, true);
const clearBit = (fs: Featureset, f: Feature) => setFeature(fs, f, false);

function maskWith(fs: Featureset, mask: Featureset): void {
  for (let i = 0; i < fs.length; i++) fs[i] &= mask[i];
}

function commonMaxLeaves(p: CpuPolicy, release: ReleaseModel): void {
  p.feat[0].eax = FEAT_SUBLEAVES - 1;
  if (!release.guestMaxAllLeaves) return;
  p.basic[0].eax = BASIC_LEAVES - 1;
  p.extd[0].eax = EXTD_BASE + EXTD_LEAVES - 1;
}

/** The guest max policies' start: the host policy, cleaned by recalculate_misc where the release does it here. */
function maxStart(ctx: GuestContext): CpuPolicy {
  const p = copyPolicy(ctx.host);
  if (ctx.release.miscInGuestMax) recalculateMisc(p);
  commonMaxLeaves(p, ctx.release);
  return p;
}

function commonDefaultLeaves(p: CpuPolicy, host: CpuPolicy): void {
  p.basic[0].eax = host.basic[0].eax;
  p.feat[0].eax = host.feat[0].eax;
  p.extd[0].eax = host.extd[0].eax;
}

/** guest_common_max_feature_adjustments: bits safe to offer so VMs seen elsewhere can migrate in. */
function commonMaxAdjustments(fs: Featureset, ctx: GuestContext): void {
  const { cpu } = ctx;
  if (cpu.vendor === "intel") {
    setBit(fs, X.archCaps);
    setBit(fs, X.rsba);
    setBit(fs, X.rrsba);
    setBit(fs, X.mdClear);
    setBit(fs, X.fbClear);
    setBit(fs, X.rfdsClear);
    if (intelFam6(cpu, INTEL.SKYLAKE_X) && hasFeature(ctx.rawFs, X.clwb)) setBit(fs, X.clwb);
    if (hasFeature(fs, X.rtm)) setBit(fs, X.rtmAlwaysAbort);
  } else if (cpu.vendor === "amd") {
    setBit(fs, X.verwClear);
  }
  setBit(fs, X.htt);
  setBit(fs, X.cmpLegacy);
  if (ctx.release.ermsHint) setBit(fs, X.erms);
}

/** guest_common_default_feature_adjustments: back to the host's values where max was generous. */
function commonDefaultAdjustments(fs: Featureset, ctx: GuestContext): void {
  const { cpu, hostFs } = ctx;
  const host = (f: Feature) => hasFeature(hostFs, f);
  if (cpu.vendor === "intel") {
    // SRBDS on IvyBridge client parts: RDRAND hidden unless cpuid=rdrand.
    if (intelFam6(cpu, INTEL.IVYBRIDGE) && host(X.rdrand) && !ctx.rdrandForced) clearBit(fs, X.rdrand);
    if (!host(X.mdClear)) clearBit(fs, X.mdClear);
    if (!host(X.fbClear)) clearBit(fs, X.fbClear);
    if (!host(X.rfdsClear)) clearBit(fs, X.rfdsClear);
    if (intelFam6(cpu, INTEL.SKYLAKE_X) && hasFeature(ctx.rawFs, X.clwb)) clearBit(fs, X.clwb);
    if (ctx.rtmDisabled) {
      clearBit(fs, X.rtm);
      setBit(fs, X.rtmAlwaysAbort);
    }
  } else if (cpu.vendor === "amd") {
    if (!host(X.verwClear)) clearBit(fs, X.verwClear);
  }
  if (!host(X.htt)) clearBit(fs, X.htt);
  if (!host(X.cmpLegacy)) clearBit(fs, X.cmpLegacy);
  if (ctx.release.ermsHint && !host(X.erms)) clearBit(fs, X.erms);
}

/** guest_common_feature_adjustments */
function commonAdjustments(fs: Featureset, ctx: GuestContext): void {
  setBit(fs, X.hypervisor);
  if (hasFeature(fs, X.ibrsb)) setBit(fs, X.stibp);
  if (hasFeature(fs, X.ibrs)) setBit(fs, X.amdStibp);
  if (hasFeature(ctx.hostFs, X.ibrsb)) setBit(fs, X.ibpb);
}

/** Default policies: a host with RSBA or RRSBA tells guests that see MSR_ARCH_CAPS which one applies. */
function rsbaAdjustment(fs: Featureset, hostFs: Featureset): void {
  if (!hasFeature(fs, X.archCaps)) return;
  if (!hasFeature(hostFs, X.rsba) && !hasFeature(hostFs, X.rrsba)) return;
  setBit(fs, hasFeature(fs, X.eibrs) ? X.rrsba : X.rsba);
}

function finish(p: CpuPolicy, fs: Featureset, raw: CpuPolicy): CpuPolicy {
  setPolicyFeatureset(p, fs);
  recalculateXstate(p, raw);
  return p;
}

export function pvMaxPolicy(ctx: GuestContext): CpuPolicy {
  const p = maxStart(ctx);
  const fs = policyFeatureset(p);
  maskWith(fs, ctx.release.guestMask("pv", "max"));
  // Tolerate VMs that saw the host's x2APIC bit leak in older Xen.
  setBit(fs, X.x2apic);
  if (!ctx.scMsrPv) {
    clearBit(fs, X.ibrsb);
    clearBit(fs, X.ibrs);
  }
  // SRSO_US_NO only holds across the PV64 user/kernel boundary with BP_SPEC_REDUCE.
  if (!ctx.bpSpecReduceActive) clearBit(fs, X.srsoUsNo);
  commonMaxAdjustments(fs, ctx);
  commonAdjustments(fs, ctx);
  sanitiseFeatureset(fs, ctx.release.known);
  finish(p, fs, ctx.raw);
  p.extd[0xa] = zeroRegs(); // no SVM for PV
  return p;
}

export function pvDefaultPolicy(ctx: GuestContext, pvMax: CpuPolicy): CpuPolicy {
  const p = copyPolicy(pvMax);
  commonDefaultLeaves(p, ctx.host);
  const fs = policyFeatureset(p);
  maskWith(fs, ctx.release.guestMask("pv", "default"));
  commonAdjustments(fs, ctx);
  commonDefaultAdjustments(fs, ctx);
  sanitiseFeatureset(fs, ctx.release.known);
  rsbaAdjustment(fs, ctx.hostFs);
  return finish(p, fs, ctx.raw);
}

export function hvmMaxPolicy(ctx: GuestContext): CpuPolicy {
  const p = maxStart(ctx);
  const fs = policyFeatureset(p);
  maskWith(fs, ctx.release.guestMask("hvm", "max", ctx.hap));
  setBit(fs, X.apic);
  setBit(fs, X.x2apic);
  setBit(fs, X.noLmsl);
  // PV can't use SYSENTER on AMD (Xen dropped it from its view); HVM can in protected mode.
  if (isAmdLike(ctx.cpu.vendor) && hasFeature(ctx.rawFs, X.sep)) {
    setBit(fs, X.sep);
  }
  if (ctx.amdVirtSpecCtrl) setBit(fs, X.virtSsbd);
  if (!ctx.scMsrHvm) {
    clearBit(fs, X.ibrsb);
    clearBit(fs, X.ibrs);
  } else if (hasFeature(ctx.hostFs, X.amdSsbd)) {
    setBit(fs, X.virtSsbd);
  }
  const vmx = hasFeature(ctx.hostFs, X.vmx);
  if (vmx) {
    if (ctx.release.vmxRdtscpInvpcidChecked) {
      if (!ctx.vmx.rdtscp) clearBit(fs, X.rdtscp);
      if (!ctx.vmx.invpcid) clearBit(fs, X.invpcid);
    }
    if (!ctx.vmx.mpx) clearBit(fs, X.mpx);
    if (!ctx.vmx.xsaves) clearBit(fs, X.xsaves);
  } else {
    clearBit(fs, X.pks);
  }
  if (ctx.release.svmClampInHvmMax && hasFeature(ctx.hostFs, X.svm)) clampNestedSvm(p, ctx.release);
  commonMaxAdjustments(fs, ctx);
  commonAdjustments(fs, ctx);
  sanitiseFeatureset(fs, ctx.release.known);
  finish(p, fs, ctx.raw);
  p.platformInfo = PLATFORM_INFO_CPUID_FAULTING; // always emulable for HVM
  return p;
}

export function hvmDefaultPolicy(ctx: GuestContext, hvmMax: CpuPolicy): CpuPolicy {
  const p = copyPolicy(hvmMax);
  commonDefaultLeaves(p, ctx.host);
  const fs = policyFeatureset(p);
  maskWith(fs, ctx.release.guestMask("hvm", "default", ctx.hap));
  commonAdjustments(fs, ctx);
  commonDefaultAdjustments(fs, ctx);
  if (ctx.amdVirtSpecCtrl) setBit(fs, X.virtSsbd);
  sanitiseFeatureset(fs, ctx.release.known);
  rsbaAdjustment(fs, ctx.hostFs);
  return finish(p, fs, ctx.raw);
}
