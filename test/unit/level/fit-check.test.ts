// levelFitErrors audits the level once per set of members whose max policies
// agree in everything the audit reads. Members that differ in any one of
// those reads must be audited apart: a level that fits one and not the other
// is reported for the other's hosts only, whichever comes first.

import { describe, expect, it } from "vitest";
import { auditPolicy } from "../../../shared/audit/audit.ts";
import { levelFitErrors } from "../../../shared/level/fit-check.ts";
import { loadPoolBits } from "../../../shared/level/pool-bits.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { withFeatures } from "../audit/support.ts";
import { xenPolicies } from "../derive/support.ts";

const ALDER = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");
const LEVEL = ALDER.hvm_max;

function tweak(change: (p: CpuPolicy) => void): CpuPolicy {
  const p = copyPolicy(LEVEL);
  change(p);
  return p;
}

// each max differs from LEVEL in one thing the audit reads, and LEVEL does not fit it
const misfits: [string, CpuPolicy][] = [
  ["a feature", withFeatures(LEVEL, [], ["avx2"])],
  ["an ARCH_CAPS bit (low half)", withFeatures(LEVEL, [], ["mds-no"])],
  ["an ARCH_CAPS bit (high half)", withFeatures(LEVEL, [], ["its-no"])],
  ["the basic max leaf", tweak((p) => (p.basic[0].eax = 0xc))],
  ["the leaf 7 max subleaf", tweak((p) => (p.feat[0].eax = 0))],
  ["the extended max leaf", tweak((p) => (p.extd[0].eax = 0x80000007))],
  ["the address widths", tweak((p) => (p.extd[8].eax = (p.extd[8].eax & ~0xff) | 36))],
  ["PLATFORM_INFO", tweak((p) => (p.platformInfo = 0))],
  ["the vendor's ebx", tweak((p) => (p.basic[0].ebx ^= 1))],
  ["the vendor's ecx", tweak((p) => (p.basic[0].ecx ^= 1))],
  ["the vendor's edx", tweak((p) => (p.basic[0].edx ^= 1))],
  ["an xstate component's size", tweak((p) => (p.xstate[2].eax += 64))],
  ["an xstate component's offset", tweak((p) => (p.xstate[2].ebx += 64))],
];

describe("levelFitErrors", () => {
  it("has nothing to say when the level fits every member", () => {
    expect(levelFitErrors(LEVEL, loadPoolBits([{ host: "a", policy: LEVEL, max: LEVEL }]), "hvm")).toEqual([]);
  });

  it.each(misfits)("audits members whose max differs in %s apart, and names only those the level does not fit", (_, max) => {
    const findings = auditPolicy(LEVEL, max, { guest: "hvm" }).map((f) => f.message);
    expect(findings).not.toEqual([]);
    const error = (host: string) => `the level does not fit host ${host}: ${findings.join("; ")}`;
    const fits = (host: string) => ({ host, policy: LEVEL, max: LEVEL });
    const fitsNot = (host: string) => ({ host, policy: LEVEL, max });
    expect(levelFitErrors(LEVEL, loadPoolBits([fits("a"), fitsNot("b"), fits("c")]), "hvm")).toEqual([error("b")]);
    expect(levelFitErrors(LEVEL, loadPoolBits([fitsNot("b"), fits("a"), fitsNot("c")]), "hvm")).toEqual([error("b"), error("c")]);
  });

  it("joins a member's findings with \"; \"", () => {
    const max = withFeatures(LEVEL, [], ["avx2", "its-no"]);
    const findings = auditPolicy(LEVEL, max, { guest: "hvm" }).map((f) => f.message);
    expect(findings.length).toBeGreaterThan(1);
    expect(levelFitErrors(LEVEL, loadPoolBits([{ host: "a", policy: LEVEL, max }]), "hvm")).toEqual([`the level does not fit host a: ${findings.join("; ")}`]);
  });

  // words 15 and 18 are empty in the Alder Lake max: a level with one of their features, and a member without it
  it.each([["avx-vnni-int8", 15], ["tsa-sq-no", 18]])("audits members apart that differ only in %s (featureset word %i)", (feature) => {
    const level = withFeatures(LEVEL, [feature]);
    const members = [
      { host: "with", policy: level, max: level },
      { host: "without", policy: level, max: LEVEL },
    ];
    const expected = members.flatMap(({ host, max }) => {
      const findings = auditPolicy(level, max, { guest: "hvm" }).map((f) => f.message);
      return findings.length ? [`the level does not fit host ${host}: ${findings.join("; ")}`] : [];
    });
    expect(expected.some((e) => e.includes("host without"))).toBe(true);
    expect(levelFitErrors(level, loadPoolBits(members), "hvm")).toEqual(expected);
  });

  it("audits each class for the pool's guest type: a feature Xen never offers to it is named as such", () => {
    const level = withFeatures(LEVEL, ["monitor"]);
    const findings = auditPolicy(level, LEVEL, { guest: "hvm" }).map((f) => f.message);
    expect(findings.join()).toContain("Xen never offers it to HVM");
    expect(levelFitErrors(level, loadPoolBits([{ host: "a", policy: level, max: LEVEL }]), "hvm")).toEqual([`the level does not fit host a: ${findings.join("; ")}`]);
  });
});
