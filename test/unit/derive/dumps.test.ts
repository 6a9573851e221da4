// Every real CPUID dump derives, and the derived policies keep Xen's
// invariants: default ⊆ max, dependencies closed, derivation idempotent.

import { beforeEach, describe, expect, it } from "vitest";
import { sanitiseFeatureset } from "../../../shared/featureset/dependencies.ts";
import { copyFeatureset, formatFeatureset, isSubset } from "../../../shared/featureset/featureset.ts";
import { KNOWN_FEATURES } from "../../../shared/featureset/masks.ts";
import { deriveFromXenHost, type DerivedPolicies } from "../../../shared/derive/derive.ts";
import { deriveFromCpuidDump } from "../../../shared/derive/from-dump.ts";
import { rawPolicyFromCpuid } from "../../../shared/derive/raw.ts";
import { bootCpu, cpuidQuery, parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import { leafRegs, NO_SUBLEAF } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import { cpuidDumpFixtures } from "../../../devenv/fixtures.ts";
import { GUEST_POLICIES, xenPolicies } from "./support.ts";

const dumps = cpuidDumpFixtures().map(([name, text]) => [name, parseCpuidDump(text, name)] as const);

describe.each(dumps)("%s", (_name, dump) => {
  // derived before each test, not while collecting nor in beforeAll: Stryker activates its mutant
  // only for hooks and tests, and counts a mutant covered by the tests whose beforeEach or body reaches it
  let d: DerivedPolicies;
  beforeEach(() => {
    d = deriveFromCpuidDump(dump);
  });

  it("default ⊆ max for PV and HVM", () => {
    expect(isSubset(policyFeatureset(d.pv_default), policyFeatureset(d.pv_max))).toBe(true);
    expect(isSubset(policyFeatureset(d.hvm_default), policyFeatureset(d.hvm_max))).toBe(true);
  });

  // Not the host: Xen synthesises MSR_ARCH_CAPS bits (GDS_NO, ITS_NO, …) into
  // its own view even where the CPU lacks ARCH_CAPS; only guest policies are sanitised.
  it("no guest feature is on while one it depends on is off", () => {
    for (const p of GUEST_POLICIES.map((n) => d[n])) {
      const fs = policyFeatureset(p);
      const closed = copyFeatureset(fs);
      sanitiseFeatureset(closed, KNOWN_FEATURES);
      expect(formatFeatureset(fs)).toBe(formatFeatureset(closed));
    }
  });

  it("is idempotent: deriving again from the derived host gives the same guest policies", () => {
    const again = deriveFromXenHost(d.host, { raw: d.raw });
    for (const n of GUEST_POLICIES) expect(serialisePolicy(again[n]), n).toEqual(serialisePolicy(d[n]));
  });

  it("raw keeps the boot CPU's identity and never the dynamic OS bits", () => {
    const q = cpuidQuery(bootCpu(dump));
    expect(d.raw.basic[0]).toEqual(q(0, NO_SUBLEAF));
    expect(d.raw.basic[1].ecx & (1 << 27)).toBe(0);
    expect(d.raw.xstate[0].ebx).toBe(0);
  });
});

describe("raw policy collection", () => {
  it("re-collecting Xen's own Raw policy through a CPUID function gives it back", () => {
    const raw = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt").raw;
    const msrs = new Map([
      [0xce, BigInt(raw.platformInfo >>> 0)],
      [0x10a, (BigInt(raw.archCapsHi >>> 0) << 32n) | BigInt(raw.archCapsLo >>> 0)],
    ]);
    const again = rawPolicyFromCpuid((leaf, sub) => leafRegs(raw, leaf, sub) ?? (leaf === 0xd ? raw.xstate[sub] : undefined), msrs);
    expect(serialisePolicy(again)).toEqual(serialisePolicy(raw));
  });
});
