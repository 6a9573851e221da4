// Entry points: the six system policies Xen computes at boot, from a raw
// policy (CPUID dump or live CPUID) or from Xen's own reported Host policy.

import type { Feature } from "../featureset/features.ts";
import { hasFeature, type Featureset } from "../featureset/featureset.ts";
import { copyPolicy, emptyPolicy, type CpuPolicy } from "../policy/cpu-policy.ts";
import { policyFeatureset, setPolicyFeatureset } from "../policy/featureset-io.ts";
import { parseXenCpuidCmdline } from "../formats/xen-cmdline.ts";
import { cpuModel, type CpuModel } from "./cpu-model.ts";
import { X } from "./features.ts";
import { hvmDefaultPolicy, hvmMaxPolicy, pvDefaultPolicy, pvMaxPolicy, type GuestContext } from "./guest.ts";
import { isForcedCap, newCapState } from "./cap-state.ts";
import { applyCmdline, xenCapabilities } from "./host-capabilities.ts";
import { hostPolicy } from "./host.ts";
import type { DeriveOptions } from "./options.ts";
import { releaseModel, type ReleaseName } from "./release.ts";
import { tsxDecision } from "./tsx.ts";
import { recalculateXstate } from "./xstate.ts";
import { isAmdLike } from "../policy/vendor.ts";

export interface DerivedPolicies {
  raw: CpuPolicy;
  host: CpuPolicy;
  pv_max: CpuPolicy;
  pv_default: CpuPolicy;
  /** all-zero when HVM is unavailable (as Xen reports it) */
  hvm_max: CpuPolicy;
  hvm_default: CpuPolicy;
  /** the Xen release whose rules derived these; absent for policies Xen itself reported */
  release?: ReleaseName;
}

/** raw → host → guest policies, with Xen's capability handling emulated for the hardware. */
export function deriveHostPolicies(raw: CpuPolicy, options: DeriveOptions = {}): DerivedPolicies {
  const cpu = cpuModel(raw);
  const release = releaseModel(options.release);
  const caps = xenCapabilities({
    raw,
    cpu,
    cmdline: options.cmdline ? parseXenCpuidCmdline(options.cmdline) : [],
    tsx: options.tsx,
    smt: options.smt ?? amdSmtEnabled(raw),
    microcode: options.microcodeRevision,
    fastStrings: options.fastStrings ?? true,
    release,
  });
  const host = hostPolicy({ raw, caps: caps.caps, vpmu: options.vpmu ?? false, release });
  return guestPolicies(raw, host, cpu, options, caps);
}

/**
 * Guest policies from the Host policy Xen reported (`xen-cpuid -p`): Xen's
 * capability handling already happened, so only the guest steps run.
 * `options.raw` (Xen's Raw policy) is used where Xen consults the hardware.
 */
export function deriveFromXenHost(reportedHost: CpuPolicy, options: DeriveOptions = {}): DerivedPolicies {
  const raw = options.raw ?? reportedHost;
  // A `cpuid=` given here comes on top of whatever Xen was booted with.
  const s = newCapState(policyFeatureset(reportedHost));
  const cmdline = options.cmdline ? parseXenCpuidCmdline(options.cmdline) : [];
  applyCmdline(s, cmdline, hasFeature(policyFeatureset(raw), X.rdrand));
  let host = reportedHost;
  if (cmdline.length > 0) {
    host = copyPolicy(reportedHost);
    setPolicyFeatureset(host, s.caps);
    recalculateXstate(host, raw);
  }
  const tsx = tsxDecision(s.caps, options.tsx);
  return guestPolicies(raw, host, cpuModel(host), options, {
    rtmDisabled: tsx.rtmDisabled,
    rdrandForced: isForcedCap(s, X.rdrand),
  });
}

function guestPolicies(
  raw: CpuPolicy,
  host: CpuPolicy,
  cpu: CpuModel,
  options: DeriveOptions,
  tsx: { rtmDisabled: boolean; rdrandForced: boolean },
): DerivedPolicies {
  const hostFs = policyFeatureset(host);
  const has = (f: Feature) => hasFeature(hostFs, f);
  const msrScHvm = options.msrScHvm ?? true;
  const ctx: GuestContext = {
    cpu,
    host,
    hostFs,
    raw,
    rawFs: policyFeatureset(raw),
    hap: options.hap ?? true,
    scMsrPv: has(X.ibrsb) && (options.msrScPv ?? true),
    scMsrHvm: msrScHvm && (has(X.ibrsb) || (has(X.ibrs) && svmSpecCtrl(raw))),
    amdVirtSpecCtrl: msrScHvm && !has(X.amdSsbd) && (has(X.virtSsbd) || amdLegacySsbd(cpu, hostFs)),
    bpSpecReduceActive: has(X.srsoMsrFix) && (options.bpSpecReduce ?? true),
    vmx: { rdtscp: true, invpcid: true, mpx: true, xsaves: true, ...options.vmx },
    rtmDisabled: tsx.rtmDisabled,
    rdrandForced: tsx.rdrandForced,
    release: releaseModel(options.release),
  };
  const pv_max = pvMaxPolicy(ctx);
  const pv_default = pvDefaultPolicy(ctx, pv_max);
  const hvm = options.hvm ?? (has(X.vmx) || has(X.svm));
  const hvm_max = hvm ? hvmMaxPolicy(ctx) : emptyPolicy();
  const hvm_default = hvm ? hvmDefaultPolicy(ctx, hvm_max) : emptyPolicy();
  return { raw, host, pv_max, pv_default, hvm_max, hvm_default, release: ctx.release.name };
}

/**
 * SVM_FEATURE_SPEC_CTRL (0x8000000a.edx bit 20): AMD-V can virtualise
 * MSR_SPEC_CTRL. Xen asks the hardware: a host policy may have leaf 0xa clamped.
 */
function svmSpecCtrl(raw: CpuPolicy): boolean {
  return (raw.extd[0].eax >>> 0) >= 0x8000000a && ((raw.extd[0xa].edx >>> 20) & 1) === 1;
}

/**
 * amd_init_ssbd found the family's LS_CFG SSBD bit (Fam15h–18h). The caller
 * has ruled out the better controls, AMD_SSBD and VIRT_SSBD.
 */
function amdLegacySsbd(cpu: CpuModel, hostFs: Featureset): boolean {
  if (!isAmdLike(cpu.vendor) || hasFeature(hostFs, X.ssbNo)) return false;
  return cpu.family >= 0x15 && cpu.family <= 0x18;
}

/**
 * Hardware SMT as AMD's topology leaf 0x8000001e shows it. Only
 * srso_calculations asks, and only on AMD and Hygon: no other vendor's
 * topology needs reading.
 */
function amdSmtEnabled(raw: CpuPolicy): boolean {
  if (!hasFeature(policyFeatureset(raw), X.topoext) || (raw.extd[0].eax >>> 0) < 0x8000001e) return false;
  return ((raw.extd[0x1e].ebx >>> 8) & 0xff) > 0;
}
