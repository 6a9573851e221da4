// Helpers shared by the derivation tests: Xen's reported policies, a
// bit-level diff of two featuresets by feature name, synthetic raw policies.

import { andNotFeatureset, featureNames, featuresetFromNames, type Featureset } from "../../../shared/featureset/featureset.ts";
import { parseXenCpuidPolicy, type XenPolicyName } from "../../../shared/formats/xen-cpuid-policy.ts";
import { emptyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset, setPolicyFeatureset } from "../../../shared/policy/featureset-io.ts";
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

/** Feature names turned on and off going from `before` to `after`, each sorted. */
export function featuresetDelta(before: Featureset, after: Featureset): { added: string[]; removed: string[] } {
  return {
    added: featureNames(andNotFeatureset(after, before)).sort(),
    removed: featureNames(andNotFeatureset(before, after)).sort(),
  };
}

const VENDOR_ID: Record<string, string> = { intel: "GenuineIntel", amd: "AuthenticAMD", hygon: "HygonGenuine", centaur: "CentaurHauls" };
const regOf = (text: string) => [...text].reduce((r, c, i) => r | (c.charCodeAt(0) << (8 * i)), 0) >>> 0;

export interface SyntheticCpu {
  vendor: "intel" | "amd" | "hygon" | "centaur";
  family: number;
  model: number;
  stepping?: number;
  /** leaf 0 eax */
  maxLeaf?: number;
  /** CLFLUSH line size in 8-byte units (leaf 1 ebx[15:8]) */
  clflushLines?: number;
  features?: string;
}

/** A raw policy with leaf 0/1 identity and the given features (space separated Xen names). */
export function syntheticRaw(cpu: SyntheticCpu): CpuPolicy {
  const p = emptyPolicy();
  setPolicyFeatureset(p, featuresetFromNames(cpu.features ? cpu.features.split(" ") : []));
  const id = VENDOR_ID[cpu.vendor];
  p.basic[0] = { eax: cpu.maxLeaf ?? 0x16, ebx: regOf(id.slice(0, 4)), edx: regOf(id.slice(4, 8)), ecx: regOf(id.slice(8)) };
  const baseFamily = Math.min(cpu.family, 0xf);
  p.basic[1].eax =
    (((cpu.family - baseFamily) << 20) | ((cpu.model >> 4) << 16) | (baseFamily << 8) | ((cpu.model & 0xf) << 4) | (cpu.stepping ?? 0)) >>> 0;
  p.basic[1].ebx = (cpu.clflushLines ?? 8) << 8;
  return p;
}
