// Xen's calculate_host_cpu_policy: the raw policy clamped to what Xen stores,
// with Xen's own feature view as its featureset.

import { BASIC_LEAVES, EXTD_BASE, EXTD_LEAVES, FEAT_SUBLEAVES, copyPolicy, zeroRegs, type CpuPolicy } from "../policy/cpu-policy.ts";
import { hasFeature, type Featureset } from "../featureset/featureset.ts";
import { setPolicyFeatureset } from "../policy/featureset-io.ts";
import { X } from "./features.ts";
import { recalculateMisc } from "./misc.ts";
import type { ReleaseModel } from "./release.ts";
import { clampNestedSvm } from "./svm.ts";
import { recalculateXstate } from "./xstate.ts";

export const PLATFORM_INFO_CPUID_FAULTING = 0x80000000;

export interface HostPolicyInputs {
  raw: CpuPolicy;
  caps: Featureset;
  vpmu: boolean;
  release: ReleaseModel;
}

export function hostPolicy({ raw, caps, vpmu, release }: HostPolicyInputs): CpuPolicy {
  const p = copyPolicy(raw);
  p.basic[0].eax = Math.min(p.basic[0].eax >>> 0, BASIC_LEAVES - 1);
  p.feat[0].eax = Math.min(p.feat[0].eax >>> 0, FEAT_SUBLEAVES - 1);
  let maxExtd = p.extd[0].eax >>> 0;
  // Pre-Zen3 AMD/Hygon: make the synthesised LFENCE_DISPATCH bit visible.
  if (hasFeature(caps, X.lfenceDispatch)) maxExtd = Math.max(maxExtd, 0x80000021);
  p.extd[0].eax = (EXTD_BASE | Math.min(maxExtd & 0xffff, EXTD_LEAVES - 1)) >>> 0;

  setPolicyFeatureset(p, caps);
  recalculateXstate(p, raw);
  if (!release.miscInGuestMax) recalculateMisc(p);
  if (!vpmu) p.basic[0xa] = zeroRegs();
  // Xen can use CPUID faulting iff its boot probe found it (raw has the bit only then).
  if (!release.svmClampInHvmMax && hasFeature(caps, X.svm)) clampNestedSvm(p, release);
  p.platformInfo = raw.platformInfo & PLATFORM_INFO_CPUID_FAULTING ? PLATFORM_INFO_CPUID_FAULTING : 0;
  return p;
}
