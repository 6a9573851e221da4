// The audit's allocation-free clean path is six "*Clean" checks, each with a
// "*Findings" twin that explains what is wrong. Comparing only the overall
// verdicts hides a check that calls a policy dirty while its twin finds
// nothing (the slow path then returns no findings, and the audit still
// answers "clean"); each pair has to agree on its own.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dependenciesClean, dependencyFindings } from "../../../shared/audit/check-dependencies.ts";
import { featureFindings, featuresClean } from "../../../shared/audit/check-features.ts";
import { leafFindings, leavesClean } from "../../../shared/audit/check-leaves.ts";
import { msrFindings, msrsClean } from "../../../shared/audit/check-msrs.ts";
import { vendorClean, vendorFindings } from "../../../shared/audit/check-vendor.ts";
import { xstateClean, xstateFindings } from "../../../shared/audit/check-xstate.ts";
import type { Finding } from "../../../shared/audit/finding.ts";
import { loadFeatureWords } from "../../../shared/audit/policy-words.ts";
import { KNOWN_FEATURES } from "../../../shared/featureset/masks.ts";
import { FEATURESET_WORDS } from "../../../shared/featureset/words.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { xenPolicies } from "../derive/support.ts";
import { policyTweak, XEN_P_FILES, type PolicyTweak } from "./support.ts";

interface Words {
  req: Uint32Array;
  /** req without the bits Xen does not define (those are the features check's unknown-bit findings) */
  known: Uint32Array;
  allowed: Uint32Array;
}

interface Check {
  name: string;
  clean(req: CpuPolicy, max: CpuPolicy, w: Words): boolean;
  findings(req: CpuPolicy, max: CpuPolicy, w: Words, out: Finding[]): void;
}

const CHECKS: Check[] = [
  { name: "vendor", clean: (r, m) => vendorClean(r, m), findings: (r, m, _w, out) => vendorFindings(r, m, out) },
  { name: "features", clean: (_r, _m, w) => featuresClean(w.req, w.allowed), findings: (_r, _m, w, out) => featureFindings(w.req, w.allowed, undefined, true, out) },
  // An unknown bit beyond the max leaf, or among the MSR_ARCH_CAPS words
  // without arch-caps, makes these two checks say "dirty" too; its one
  // finding is the features check's unknown-bit.
  { name: "dependencies", clean: (_r, _m, w) => dependenciesClean(w.known), findings: (_r, _m, w, out) => dependencyFindings(w.known, out) },
  { name: "leaves", clean: (r, m, w) => leavesClean(r, m, w.known), findings: (r, m, w, out) => leafFindings(r, m, w.known, out) },
  { name: "msrs", clean: (r, m) => msrsClean(r, m), findings: (r, m, _w, out) => msrFindings(r, m, out) },
  { name: "xstate", clean: (r, m, w) => xstateClean(r, m, w.req), findings: (r, m, w, out) => xstateFindings(r, m, w.req, out) },
];

function words(req: CpuPolicy, max: CpuPolicy): Words {
  const w = { req: new Uint32Array(FEATURESET_WORDS), known: new Uint32Array(FEATURESET_WORDS), allowed: new Uint32Array(FEATURESET_WORDS) };
  loadFeatureWords(req, w.req);
  loadFeatureWords(max, w.allowed);
  for (let i = 0; i < w.req.length; i++) w.known[i] = w.req[i] & KNOWN_FEATURES[i];
  return w;
}

/** Every check whose verdict and findings disagree, as "name: clean=…, n findings". */
function disagreements(req: CpuPolicy, max: CpuPolicy): string[] {
  const w = words(req, max);
  return CHECKS.flatMap((c) => {
    const out: Finding[] = [];
    c.findings(req, max, w, out);
    const clean = c.clean(req, max, w);
    return clean === (out.length === 0) ? [] : [`${c.name}: clean=${clean}, ${out.length} findings`];
  });
}

/** Changes the checks look at beyond single bits: max leaves, address widths, xstate sizes. */
const fieldTweak: fc.Arbitrary<PolicyTweak> = fc.oneof(
  fc.integer({ min: 0, max: 0x20 }).map((v): PolicyTweak => (p) => void (p.basic[0].eax = v)),
  fc.integer({ min: 0, max: 3 }).map((v): PolicyTweak => (p) => void (p.feat[0].eax = v)),
  fc.integer({ min: 0x80000000, max: 0x80000028 }).map((v): PolicyTweak => (p) => void (p.extd[0].eax = v)),
  fc.tuple(fc.integer({ min: 0, max: 0x40 }), fc.integer({ min: 0, max: 0x40 })).map(
    ([phys, lin]): PolicyTweak =>
      (p) =>
        void (p.extd[8].eax = (p.extd[8].eax & ~0xffff) | (lin << 8) | phys),
  ),
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom("eax", "ebx", "ecx", "edx"), fc.integer({ min: 0, max: 0x3000 })).map(
    ([i, reg, v]): PolicyTweak =>
      (p) =>
        void (p.xstate[i][reg as "eax"] = v),
  ),
);

const bases = fc.constantFrom(...XEN_P_FILES.flatMap((file) => (["pv", "hvm"] as const).map((g) => [file, g] as const)));

describe("each clean-path check agrees with its findings", () => {
  it("on Xen's own default and max policies of every fixture", () => {
    for (const file of XEN_P_FILES) {
      const p = xenPolicies(file);
      for (const g of ["pv", "hvm"] as const) {
        expect(disagreements(p[`${g}_default`], p[`${g}_max`]), `${file} ${g} default`).toEqual([]);
        expect(disagreements(p[`${g}_max`], p[`${g}_default`]), `${file} ${g} max against default`).toEqual([]);
      }
    }
  });

  it("on randomly changed policies, in both directions", () => {
    fc.assert(
      fc.property(bases, fc.array(fc.oneof(policyTweak, fieldTweak), { minLength: 1, maxLength: 4 }), ([file, g], tweaks) => {
        const p = xenPolicies(file);
        const req = copyPolicy(p[`${g}_default`]);
        for (const t of tweaks) t(req);
        expect(disagreements(req, p[`${g}_max`])).toEqual([]);
      }),
      { seed: 17, numRuns: 200 },
    );
  });
});
