// What a probe finds out about the host: its six system policies (derived
// from raw CPUID, or as Xen reports them) and the facts that go into the
// fingerprint.

import type { DerivedPolicies } from "../../shared/derive/derive.ts";
import { deriveFromXenHost } from "../../shared/derive/derive.ts";
import type { XenCpuidPolicyOutput, XenPolicyName } from "../../shared/formats/xen-cpuid-policy.ts";
import type { ReleaseName } from "../../shared/derive/release.ts";
import type { Fingerprint } from "../../shared/schemas/host-policies.ts";

export type ProbeFacts = Omit<Fingerprint, "digest">;

export interface ProbeResult {
  policies: DerivedPolicies;
  facts: ProbeFacts;
  /** the TSC frequency, where the probe can know it (agent/README.md says which can) */
  tscKhz?: number;
}

export interface Probe {
  run(): Promise<ProbeResult>;
}

const SYSTEM_POLICIES: readonly XenPolicyName[] = ["raw", "host", "pv_max", "pv_default", "hvm_max", "hvm_default"];

/**
 * Xen's reported policies are authoritative. When the output lacks some
 * (an older Xen, a trimmed capture), the guest policies are derived from the
 * reported Host policy the way Xen computes them, by the rules of `release`
 * (master when unset).
 */
export function policiesFromXen(out: XenCpuidPolicyOutput, source: string, release?: ReleaseName): DerivedPolicies {
  const byName = new Map(out.blocks.map((b) => [b.name, b.policy]));
  if (SYSTEM_POLICIES.every((n) => byName.has(n))) {
    return Object.fromEntries(SYSTEM_POLICIES.map((n) => [n, byName.get(n)!])) as unknown as DerivedPolicies;
  }
  const host = byName.get("host");
  if (!host) throw new Error(`${source}: no Host policy in the xen-cpuid output`);
  const raw = byName.get("raw");
  return deriveFromXenHost(host, { release, ...(raw ? { raw } : {}) });
}
