// Fixture hosts for the audit and levelling tests: Xen's reported policies
// from the xen-cpuid -p outputs, and every fixture derived as `policy derive` does.

import fc from "fast-check";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { derivePolicies } from "../../../cli/policy-input.ts";
import type { DerivedPolicies } from "../../../shared/derive/derive.ts";
import { featureByName } from "../../../shared/featureset/features.ts";
import { setFeature } from "../../../shared/featureset/featureset.ts";
import { FEATURESET_WORDS } from "../../../shared/featureset/words.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset, setPolicyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { policyVendor, type Vendor } from "../../../shared/policy/vendor.ts";
import { cpuidDumpFixtures, FIXTURES_DIR, xenCpuidFixture } from "../../../devenv/fixtures.ts";

export const XEN_P_FILES = readdirSync(join(FIXTURES_DIR, "xen-cpuid"))
  .filter((f) => f.startsWith("xen-cpuid-p_"))
  .sort();

export interface FixtureHost {
  name: string;
  vendor: Vendor;
  policies: DerivedPolicies;
}

let cache: FixtureHost[] | undefined;

/** Every CPUID dump and xen-cpuid -p fixture, derived once per test file. */
export function derivedHosts(): FixtureHost[] {
  cache ??= [
    ...cpuidDumpFixtures().map(([name, text]) => ({ name, text })),
    ...XEN_P_FILES.map((name) => ({ name, text: xenCpuidFixture(name) })),
  ].map(({ name, text }) => {
    const policies = derivePolicies(text, name, {});
    return { name, vendor: policyVendor(policies.host), policies };
  });
  return cache;
}

/** A copy of `p` with features switched on and off (nothing else recomputed). */
export function withFeatures(p: CpuPolicy, on: string[], off: string[] = []): CpuPolicy {
  const q = copyPolicy(p);
  const fs = policyFeatureset(q);
  for (const n of on) setFeature(fs, featureByName(n)!, true);
  for (const n of off) setFeature(fs, featureByName(n)!, false);
  setPolicyFeatureset(q, fs);
  return q;
}

export type PolicyTweak = (p: CpuPolicy) => void;

/** A random one-spot change of a policy: feature bits, a raw leaf bit, or a PLATFORM_INFO bit. */
export const policyTweak: fc.Arbitrary<PolicyTweak> = fc.oneof(
  fc.array(fc.tuple(fc.integer({ min: 0, max: FEATURESET_WORDS - 1 }), fc.integer({ min: 0, max: 31 })), { maxLength: 6 }).map((bits): PolicyTweak => (p) => {
    const fs = policyFeatureset(p);
    for (const [w, b] of bits) fs[w] ^= 1 << b;
    setPolicyFeatureset(p, fs);
  }),
  fc.tuple(fc.constantFrom("basic", "feat", "extd", "xstate"), fc.nat(5), fc.constantFrom("eax", "ebx", "ecx", "edx"), fc.integer({ min: 0, max: 31 })).map(
    ([arr, i, reg, bit]): PolicyTweak =>
      (p) => {
        const all = p[arr as "basic"];
        all[i % all.length][reg as "eax"] ^= 1 << bit;
      },
  ),
  fc.integer({ min: 0, max: 31 }).map((bit): PolicyTweak => (p) => void (p.platformInfo ^= 1 << bit)),
);
