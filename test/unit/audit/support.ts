// Fixture hosts for the audit and levelling tests: Xen's reported policies
// from the xen-cpuid -p outputs, and every fixture derived as `policy derive` does.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { derivePolicies } from "../../../cli/policy-input.ts";
import type { DerivedPolicies } from "../../../shared/derive/derive.ts";
import { featureByName } from "../../../shared/featureset/features.ts";
import { setFeature } from "../../../shared/featureset/featureset.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset, setPolicyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { policyVendor, type Vendor } from "../../../shared/policy/vendor.ts";
import { cpuidDumpFixtures, FIXTURES_DIR, xenCpuidFixture } from "../../support/fixtures.ts";

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
