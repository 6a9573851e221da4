// Helpers shared by the derivation tests: Xen's reported policies and a
// bit-level diff of two featuresets by feature name.

import { andNotFeatureset, featureNames } from "../../../shared/featureset/featureset.ts";
import { parseXenCpuidPolicy, type XenPolicyName } from "../../../shared/formats/xen-cpuid-policy.ts";
import type { CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { xenCpuidFixture } from "../../../devenv/fixtures.ts";

export const GUEST_POLICIES = ["pv_max", "pv_default", "hvm_max", "hvm_default"] as const;

export function xenPolicies(file: string): Record<XenPolicyName, CpuPolicy> {
  const out = parseXenCpuidPolicy(xenCpuidFixture(file));
  return Object.fromEntries(out.blocks.map((b) => [b.name, b.policy])) as Record<XenPolicyName, CpuPolicy>;
}

/** {ours: features only we have, xen: features only Xen has} */
export function featureDiff(ours: CpuPolicy, xen: CpuPolicy): { ours: string[]; xen: string[] } {
  const a = policyFeatureset(ours);
  const b = policyFeatureset(xen);
  return { ours: featureNames(andNotFeatureset(a, b)), xen: featureNames(andNotFeatureset(b, a)) };
}
