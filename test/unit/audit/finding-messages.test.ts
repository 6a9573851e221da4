// What each finding says, word for word, for the checks outside leaf 0xd
// (xstate-findings.test.ts has those): the message is what a person acts on,
// so its values, units and wording are part of the contract. Also where the
// checks draw their lines: a value equal to max's is fine, one above is not.

import { describe, expect, it } from "vitest";
import { auditPolicy, collectFindings } from "../../../shared/audit/audit.ts";
import { leavesClean, wordVisibleAt } from "../../../shared/audit/check-leaves.ts";
import { loadFeatureWords } from "../../../shared/audit/policy-words.ts";
import { findingCount, findingsBlock, summariseFindings } from "../../../shared/audit/findings-text.ts";
import { featureByName } from "../../../shared/featureset/features.ts";
import { hasFeature } from "../../../shared/featureset/featureset.ts";
import { FEATURESET_WORDS } from "../../../shared/featureset/words.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { xenPolicies } from "../derive/support.ts";
import { withFeatures } from "./support.ts";

// Alder Lake's HVM max: basic max leaf 0xd, leaf 7 max subleaf 2, extended
// max leaf 0x80000021, 46 physical and 48 linear address bits.
const ALDER = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");
const def = ALDER.hvm_default;
const max = ALDER.hvm_max;

function tweak(change: (p: CpuPolicy) => void, from: CpuPolicy = def): CpuPolicy {
  const p = copyPolicy(from);
  change(p);
  return p;
}

const has = (p: CpuPolicy, name: string) => hasFeature(policyFeatureset(p), featureByName(name)!);

const messages = (p: CpuPolicy, code: string, from: CpuPolicy = max, opts = {}) =>
  collectFindings(p, from, opts)
    .filter((f) => f.code === code)
    .map((f) => f.message);

describe("clean and findings as whole objects", () => {
  it("a clean policy gets the one shared, frozen empty list", () => {
    const clean = auditPolicy(def, max);
    expect(clean).toEqual([]);
    expect(Object.isFrozen(clean)).toBe(true);
    expect(auditPolicy(ALDER.hvm_default, ALDER.hvm_max, { guest: "hvm" })).toBe(clean);
  });

  it("findings without features or a feature's bit carry exactly their own fields", () => {
    const leaf7 = tweak((q) => (q.feat[0].eax = 3));
    expect(collectFindings(leaf7, max)).toStrictEqual([
      {
        code: "max-leaf-exceeded",
        features: [],
        leaf: 7,
        subleaf: 0,
        register: "eax",
        message: "leaf 7 max subleaf 0x00000003 (leaf 0x00000007:0.eax) exceeds the max policy's 0x00000002; Xen rejects this policy",
      },
    ]);
    const basic = collectFindings(tweak((q) => (q.basic[0].eax = 0xe)), max)[0];
    expect(basic).toStrictEqual({ code: "max-leaf-exceeded", features: [], leaf: 0, register: "eax", message: expect.any(String) });
    const msr = collectFindings(tweak((q) => (q.platformInfo = 1), ALDER.pv_default), ALDER.pv_max);
    expect(msr).toStrictEqual([{ code: "msr-not-offered", features: [], msr: 0xce, bit: 0, message: expect.any(String) }]);
    const vendor = collectFindings(tweak((q) => (q.basic[0].ebx ^= 1)), max);
    expect(vendor).toStrictEqual([{ code: "vendor-mismatch", features: [], leaf: 0, message: expect.any(String) }]);
  });
});

describe("vendor-mismatch", () => {
  const vendor = (ebx: number, ecx: number, edx: number) => tweak((p) => Object.assign(p.basic[0], { ebx, ecx, edx }));

  it("names both vendors", () => {
    expect(messages(vendor(0x68747541, def.basic[0].ecx, def.basic[0].edx), "vendor-mismatch")).toEqual([
      `vendor "AuthineIntel" (leaf 0x00000000 ebx/edx/ecx) differs from the max policy's "GenuineIntel"; Xen rejects cross-vendor policies`,
    ]);
  });

  it("an all-zero vendor reads (empty), unprintable bytes read ?", () => {
    expect(messages(vendor(0, 0, 0), "vendor-mismatch")).toEqual([
      `vendor (empty) (leaf 0x00000000 ebx/edx/ecx) differs from the max policy's "GenuineIntel"; Xen rejects cross-vendor policies`,
    ]);
    expect(messages(vendor(0x01020304, def.basic[0].ecx, def.basic[0].edx), "vendor-mismatch")[0]).toMatch(/^vendor "\?\?\?\?ineIntel" /);
  });

  it("each of ebx, ecx and edx counts on its own", () => {
    const { ebx, ecx, edx } = def.basic[0];
    for (const p of [vendor(ebx ^ 1, ecx, edx), vendor(ebx, ecx ^ 1, edx), vendor(ebx, ecx, edx ^ 1)]) {
      expect(auditPolicy(p, max).map((f) => f.code)).toEqual(["vendor-mismatch"]);
    }
  });
});

describe("max-leaf-exceeded", () => {
  it("one finding per max leaf field, with both values", () => {
    const p = tweak((q) => {
      q.basic[0].eax = 0x1f;
      q.feat[0].eax = 3;
      q.extd[0].eax = 0x80000028;
    });
    expect(messages(p, "max-leaf-exceeded")).toEqual([
      "basic max leaf 0x0000001f (leaf 0x00000000.eax) exceeds the max policy's 0x0000000d; Xen rejects this policy",
      "leaf 7 max subleaf 0x00000003 (leaf 0x00000007:0.eax) exceeds the max policy's 0x00000002; Xen rejects this policy",
      "extended max leaf 0x80000028 (leaf 0x80000000.eax) exceeds the max policy's 0x80000021; Xen rejects this policy",
    ]);
  });

  it("max leaves equal to max's are fine", () => {
    const p = tweak((q) => {
      q.basic[0].eax = max.basic[0].eax;
      q.feat[0].eax = max.feat[0].eax;
      q.extd[0].eax = max.extd[0].eax;
    });
    expect(auditPolicy(p, max)).toEqual([]);
  });

  it("each field one above max's is rejected on its own", () => {
    const fields: ((q: CpuPolicy) => void)[] = [(q) => (q.basic[0].eax = 0xe), (q) => (q.feat[0].eax = 3), (q) => (q.extd[0].eax = 0x80000022)];
    for (const f of fields) expect(auditPolicy(tweak(f), max).map((x) => x.code)).toEqual(["max-leaf-exceeded"]);
  });
});

describe("feature-beyond-max-leaf", () => {
  it("names the feature, where it lives and the policy's own limits", () => {
    const p = tweak((q) => (q.feat[0].eax = 1)); // hides 7:2, keeps 7:1
    expect(messages(p, "feature-beyond-max-leaf")).toEqual(
      ["intel-psfd (CPUID 0x00000007:2.edx[0])", "ipred-ctrl (CPUID 0x00000007:2.edx[1])", "rrsba-ctrl (CPUID 0x00000007:2.edx[2])", "bhi-ctrl (CPUID 0x00000007:2.edx[4])"].map(
        (f) =>
          `${f} is on, but the policy's own max leaf/subleaf (basic 0x0000000d, leaf 7 1, extended 0x80000008) hides that leaf from the guest`,
      ),
    );
  });

  it("each finding names a bit that is on in the hidden word, once", () => {
    const p = tweak((q) => (q.basic[0].eax = 6)); // hides leaf 7 (and 0xd) with fsgsbase, bit 0 of 7:0.ebx, on
    const hidden = collectFindings(p, max).filter((f) => f.code === "feature-beyond-max-leaf");
    expect(hidden.map((f) => f.features[0])).toContain("fsgsbase");
    for (const f of hidden) expect(has(p, f.features[0]), f.features[0]).toBe(true);
    expect(new Set(hidden.map((f) => f.features[0])).size).toBe(hidden.length);
  });

  it("a leaf is visible exactly up to the max leaf or subleaf", () => {
    const word = (name: string) => featureByName(name)!.word;
    const [basic1, leaf7s1, extd1, msr] = [word("sse3"), word("avx-vnni"), word("lahf-lm"), word("rdcl-no")];
    expect([wordVisibleAt(1, 0, 0, basic1), wordVisibleAt(0, 0, 0, basic1)]).toEqual([true, false]);
    expect([wordVisibleAt(7, 1, 0, leaf7s1), wordVisibleAt(7, 0, 0, leaf7s1), wordVisibleAt(6, 1, 0, leaf7s1)]).toEqual([true, false, false]);
    expect([wordVisibleAt(0xd, 2, 0x80000001, extd1), wordVisibleAt(0xd, 2, 0x80000000, extd1)]).toEqual([true, false]);
    expect(wordVisibleAt(0, 0, 0, msr)).toBe(true);
  });
});

describe("address-width-exceeded", () => {
  it("the clean path ignores widths while the policy hides leaf 0x80000008", () => {
    const hidden = tweak((q) => {
      q.extd[0].eax = 0x80000007;
      q.extd[8].eax = (57 << 8) | 52;
    });
    const words = new Uint32Array(FEATURESET_WORDS);
    expect(leavesClean(hidden, max, words)).toBe(true);
    loadFeatureWords(max, words);
    expect(leavesClean(tweak((q) => (q.extd[8].eax = (57 << 8) | 52)), max, words)).toBe(false);
  });

  const widths = (phys: number, lin: number, extdMax = def.extd[0].eax) =>
    tweak((q) => {
      q.extd[8].eax = (q.extd[8].eax & ~0xffff) | (lin << 8) | phys;
      q.extd[0].eax = extdMax;
    });

  it("physical and linear widths, each with max's", () => {
    expect(messages(widths(52, 57), "address-width-exceeded")).toEqual([
      "physical address width 52 bits (leaf 0x80000008.eax[7:0]) exceeds the max policy's 46; Xen would silently clamp it",
      "linear address width 57 bits (leaf 0x80000008.eax[15:8]) exceeds the max policy's 48; Xen would silently clamp it",
    ]);
  });

  it("widths equal to max's are fine; one bit more is not", () => {
    expect(auditPolicy(widths(46, 48), max)).toEqual([]);
    expect(auditPolicy(widths(47, 48), max).map((f) => f.code)).toEqual(["address-width-exceeded"]);
    expect(auditPolicy(widths(46, 49), max).map((f) => f.code)).toEqual(["address-width-exceeded"]);
  });

  it("not checked when either policy hides leaf 0x80000008", () => {
    expect(messages(widths(52, 57, 0x80000007), "address-width-exceeded")).toEqual([]);
    const narrowMax = tweak((q) => (q.extd[0].eax = 0x80000007), max);
    expect(messages(widths(52, 57), "address-width-exceeded", narrowMax)).toEqual([]);
  });
});

describe("msr-not-offered", () => {
  it("a named PLATFORM_INFO bit and an undefined one", () => {
    const p = tweak((q) => (q.platformInfo = 0x80000001), ALDER.pv_default);
    const narrow = tweak((q) => (q.platformInfo = 0), ALDER.pv_max);
    expect(messages(p, "msr-not-offered", narrow)).toEqual([
      "MSR 0x000000ce (PLATFORM_INFO) bit 0 (undefined) is set but the max policy does not offer it; Xen rejects this policy",
      "MSR 0x000000ce (PLATFORM_INFO) bit 31 cpuid_faulting is set but the max policy does not offer it; Xen rejects this policy",
    ]);
  });
});

describe("unknown-bit and feature-not-in-max", () => {
  it("unknown-bit names the featureset word and bit", () => {
    const p = tweak((q) => (q.basic[1].edx |= 1 << 10));
    expect(messages(p, "unknown-bit")).toEqual(['CPUID 0x00000001.edx[10] (featureset word 0 "1d" bit 10) is set, but Xen defines no feature there']);
  });

  it("says why max lacks a feature: the host, or Xen's rule for the guest type", () => {
    const p = withFeatures(def, ["avx512f", "amx-tile"]);
    const offered = "avx512f (CPUID 0x00000007:0.ebx[16]) is requested but the max policy does not offer it (the host lacks it, or Xen or its command line hides it)";
    expect(messages(p, "feature-not-in-max", max, { guest: "hvm" })).toEqual([
      offered,
      'amx-tile (CPUID 0x00000007:0.edx[24]) is requested but Xen never offers it to HVM (HAP) guests (annotation "none")',
    ]);
    expect(messages(p, "feature-not-in-max")).toEqual([offered, "amx-tile (CPUID 0x00000007:0.edx[24]) is requested but the max policy does not offer it (the host lacks it, or Xen or its command line hides it)"]);
    expect(messages(withFeatures(ALDER.pv_default, ["vmx"]), "feature-not-in-max", ALDER.pv_max, { guest: "pv" })).toEqual([
      'vmx (CPUID 0x00000001.ecx[5]) is requested but Xen never offers it to PV guests (annotation "h")',
    ]);
    expect(messages(def, "feature-not-in-max", max, { guest: "hvm", hap: false })[0]).toBe(
      'pcid (CPUID 0x00000001.ecx[17]) is requested but Xen never offers it to HVM (shadow paging) guests (annotation "H")',
    );
  });

  it("PV ignores the HVM-only options", () => {
    const p = withFeatures(ALDER.pv_default, [], []);
    expect(auditPolicy(p, ALDER.pv_max, { guest: "pv", hap: false, nestedVirt: false })).toEqual([]);
  });

  it("shadow paging and no nested virt narrow max together", () => {
    const fs = collectFindings(withFeatures(def, ["vmx"]), max, { guest: "hvm", hap: false, nestedVirt: false }).map((f) => f.features[0]);
    expect(fs).toEqual(expect.arrayContaining(["vmx", "pcid"]));
  });
});

describe("dependency-missing", () => {
  it("one missing requirement is, several are", () => {
    const one = messages(withFeatures(def, [], ["avx"]), "dependency-missing");
    expect(one).toContain("avx2 (CPUID 0x00000007:0.ebx[5]) is on but needs avx, which is off");
    const two = messages(withFeatures(def, [], ["avx", "xsave"]), "dependency-missing");
    expect(two).toContain("avx2 (CPUID 0x00000007:0.ebx[5]) is on but needs xsave, avx, which are off");
  });

  it("an MSR_ARCH_CAPS bit without arch-caps explains the #GP", () => {
    const [first] = collectFindings(withFeatures(def, [], ["arch-caps"]), max).filter((f) => f.code === "arch-caps-inconsistent");
    expect(first).toEqual({
      code: "arch-caps-inconsistent",
      features: ["rdcl-no", "arch-caps"],
      word: 16,
      bit: 0,
      msr: 0x10a,
      message:
        "rdcl-no (MSR 0x0000010a[0]) is on but needs arch-caps, which is off; without arch-caps (CPUID 0x00000007:0.edx[29]) a guest cannot read MSR_ARCH_CAPABILITIES at all (#GP)",
    });
  });
});

describe("findings as text", () => {
  const f = (n: number) => ({ code: "vendor-mismatch" as const, message: `m${n}` });

  it("counts one finding, several findings", () => {
    expect([findingCount(0), findingCount(1), findingCount(2)]).toEqual(["0 findings", "1 finding", "2 findings"]);
  });

  it("the block: a count line, then code padded to 24 and message", () => {
    expect(findingsBlock([f(1), { code: "max-leaf-exceeded", message: "m2" }])).toBe(
      "2 findings:\n  vendor-mismatch          m1\n  max-leaf-exceeded        m2",
    );
    expect(findingsBlock([])).toBe("0 findings:");
  });

  it("the summary shows five messages and counts the rest", () => {
    expect(summariseFindings([1, 2, 3, 4, 5].map(f))).toBe("5 findings: m1; m2; m3; m4; m5");
    expect(summariseFindings([1, 2, 3, 4, 5, 6, 7].map(f))).toBe("7 findings: m1; m2; m3; m4; m5; and 2 more (see status.findings)");
  });
});

describe("leaf 0xd through the whole audit", () => {
  it("XSS state in its high half alone makes the policy dirty", () => {
    const p = tweak((q) => (q.xstate[1].edx = 1));
    expect(auditPolicy(p, max).map((f) => f.message)).toEqual([
      "XSS (leaf 0xd:1 edx:ecx 0x00000001:0x00000000) advertises supervisor states; Xen offers none to guests",
    ]);
  });

  it("a component moved without changing where the area ends", () => {
    const p = tweak((q) => Object.assign(q.xstate[2], { eax: 0x100, ebx: 0x280 }));
    expect(auditPolicy(p, max)).toStrictEqual([
      {
        code: "xstate-inconsistent",
        features: ["avx"],
        leaf: 0xd,
        subleaf: 2,
        register: "eax",
        message: "leaf 0xd:2 lays out state 2 (needed by avx) as size 0x00000100 at offset 0x00000280, the max policy as size 0x00000100 at 0x00000240",
      },
    ]);
  });

  it("a component max does not describe is clean on the fast path too", () => {
    const noPkuLayout = tweak((q) => Object.assign(q.xstate[9], { eax: 0, ebx: 0 }), max);
    expect(auditPolicy(def, noPkuLayout)).toBe(auditPolicy(def, max));
  });

  it("a component max does not describe has no layout to differ from", () => {
    const p = withFeatures(def, ["avx512f"]);
    p.xstate[0].eax |= 0xe0;
    [5, 6, 7].forEach((s, i) => Object.assign(p.xstate[s], { eax: 0x40, ebx: 0xa88 + 0x40 * i }));
    p.xstate[0].ecx = 0xa88 + 0xc0;
    const xstate = collectFindings(p, tweak((q) => [5, 6, 7].forEach((s) => Object.assign(q.xstate[s], { eax: 0, ebx: 0 }))));
    expect(xstate.filter((f) => f.code === "xstate-inconsistent")).toEqual([]);
  });
});
