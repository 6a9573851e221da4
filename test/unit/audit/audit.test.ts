import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditPolicy, collectFindings } from "../../../shared/audit/audit.ts";
import { findingToJson, type Finding } from "../../../shared/audit/finding.ts";
import { loadFeatureWords } from "../../../shared/audit/policy-words.ts";
import { FEATURESET_WORDS } from "../../../shared/featureset/words.ts";
import { copyPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { FindingCodes, FindingJson } from "../../../shared/schemas/finding.ts";
import { xenPolicies } from "../derive/support.ts";
import { derivedHosts, policyTweak, withFeatures, XEN_P_FILES } from "./support.ts";

const RUNS = { seed: 42, numRuns: 300 };
const ALDER = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");
const VBOX = xenPolicies("xen-cpuid-p_core-i7-1185g7_tigerlake_nested-in-virtualbox.txt");

const codes = (fs: readonly Finding[]) => fs.map((x) => x.code);
const only = (fs: readonly Finding[], code: string) => fs.filter((x) => x.code === code);

describe("loadFeatureWords", () => {
  it("reads the same words as policyFeatureset", () => {
    for (const file of XEN_P_FILES) {
      for (const p of Object.values(xenPolicies(file))) {
        const fs = policyFeatureset(p);
        const loaded = new Uint32Array(FEATURESET_WORDS + 3);
        loadFeatureWords(p, loaded, 3);
        expect(loaded.subarray(3)).toEqual(fs);
      }
    }
  });
});

describe("default policies audit clean against their max", () => {
  it.each(XEN_P_FILES)("Xen's reported policies in %s", (file) => {
    const p = xenPolicies(file);
    for (const g of ["pv", "hvm"] as const) {
      expect(collectFindings(p[`${g}_default`], p[`${g}_max`], { guest: g })).toEqual([]);
      expect(auditPolicy(p[`${g}_default`], p[`${g}_max`], { guest: g })).toEqual([]);
      expect(auditPolicy(p[`${g}_max`], p[`${g}_max`], { guest: g })).toEqual([]);
    }
  });

  it("every fixture derived as policy derive does, both guest types", () => {
    const hosts = derivedHosts();
    expect(hosts.length).toBeGreaterThanOrEqual(20);
    for (const h of hosts) {
      for (const g of ["pv", "hvm"] as const) {
        const findings = collectFindings(h.policies[`${g}_default`], h.policies[`${g}_max`], { guest: g });
        expect({ host: h.name, guest: g, findings }).toEqual({ host: h.name, guest: g, findings: [] });
      }
    }
  });
});

describe("findings for each code", () => {
  const hvmDef = ALDER.hvm_default;
  const hvmMax = ALDER.hvm_max;

  it("feature-not-in-max names the feature and its position, and why", () => {
    const fs = auditPolicy(withFeatures(hvmDef, ["avx512f", "amx-tile"]), hvmMax, { guest: "hvm" });
    const avx = only(fs, "feature-not-in-max").find((x) => x.features[0] === "avx512f")!;
    expect(avx).toMatchObject({ word: 5, bit: 16, leaf: 7, subleaf: 0, register: "ebx" });
    expect(avx.message).toContain("CPUID 0x00000007:0.ebx[16]");
    const amx = only(fs, "feature-not-in-max").find((x) => x.features[0] === "amx-tile")!;
    expect(amx.message).toContain("never offers it to HVM (HAP) guests");
  });

  it("PV: HVM-only features are explained as never offered to PV", () => {
    const fs = auditPolicy(withFeatures(ALDER.pv_default, ["vmx"]), ALDER.pv_max, { guest: "pv" });
    expect(fs).toHaveLength(1);
    expect(fs[0].message).toMatch(/never offers it to PV guests/);
  });

  it("unknown-bit for a bit Xen does not define", () => {
    const p = copyPolicy(hvmDef);
    p.basic[1].edx |= 1 << 10; // 1d bit 10 is reserved
    const fs = auditPolicy(p, hvmMax);
    expect(fs).toEqual([expect.objectContaining({ code: "unknown-bit", features: [], word: 0, bit: 10, leaf: 1, register: "edx" })]);
  });

  it("dependency-missing: one finding per dependent, naming every missing requirement", () => {
    const fs = auditPolicy(withFeatures(hvmDef, [], ["xsave"]), hvmMax);
    const avx2 = only(fs, "dependency-missing").find((x) => x.features[0] === "avx2")!;
    expect(avx2.features).toEqual(["avx2", "xsave"]);
    expect(avx2.message).toMatch(/avx2 .* is on but needs xsave, which is off/);
    expect(only(fs, "dependency-missing").map((x) => x.features[0])).toEqual(
      expect.arrayContaining(["avx", "fma", "f16c", "xsaveopt", "xsavec", "xgetbv1", "avx2", "pku"]),
    );
    // leaf 0xd still advertises states although XSAVE is off
    expect(codes(fs)).toContain("xstate-inconsistent");
  });

  it("arch-caps-inconsistent: MSR_ARCH_CAPS bits while ARCH_CAPS is off", () => {
    const fs = auditPolicy(withFeatures(hvmDef, [], ["arch-caps"]), hvmMax);
    const archCaps = only(fs, "arch-caps-inconsistent");
    expect(archCaps.length).toBeGreaterThan(3);
    expect(archCaps.every((x) => x.msr === 0x10a && x.features[1] === "arch-caps")).toBe(true);
    expect(archCaps[0].message).toContain("#GP");
  });

  it("max-leaf-exceeded for basic, leaf 7 and extended max leaves", () => {
    const p = copyPolicy(hvmDef);
    p.basic[0].eax = 0x1f;
    p.feat[0].eax = 3;
    p.extd[0].eax = 0x80000028;
    const fs = only(auditPolicy(p, hvmMax), "max-leaf-exceeded");
    expect(fs.map((x) => [x.leaf, x.subleaf])).toEqual([[0, undefined], [7, 0], [0x80000000, undefined]]);
    expect(fs[0].message).toContain("0x0000001f");
  });

  it("feature-beyond-max-leaf when the policy hides a feature's own leaf", () => {
    const p = copyPolicy(hvmDef);
    p.feat[0].eax = 0; // hides 7:1 (avx-vnni, …) and 7:2
    const fs = auditPolicy(p, hvmMax);
    expect(new Set(codes(fs))).toEqual(new Set(["feature-beyond-max-leaf"]));
    expect(fs.map((x) => x.features[0])).toContain("avx-vnni");
  });

  it("vendor-mismatch", () => {
    const p = copyPolicy(hvmDef);
    p.basic[0].ebx = 0x68747541; // "Auth"
    const fs = auditPolicy(p, hvmMax);
    expect(codes(fs)).toEqual(["vendor-mismatch"]);
    expect(fs[0].message).toContain("GenuineIntel");
  });

  it("msr-not-offered for PLATFORM_INFO.cpuid_faulting the host cannot do", () => {
    const p = copyPolicy(VBOX.pv_default);
    p.platformInfo = 0x80000000;
    const fs = auditPolicy(p, VBOX.pv_max);
    expect(fs).toEqual([expect.objectContaining({ code: "msr-not-offered", msr: 0xce, bit: 31 })]);
    expect(fs[0].message).toContain("cpuid_faulting");
  });

  it("xstate-inconsistent: AVX on without YMM state, foreign states, XSS, wrong size", () => {
    const p = copyPolicy(hvmDef);
    p.xstate[0].eax &= ~(1 << 2);
    expect(auditPolicy(p, hvmMax).map((x) => [x.code, x.features])).toContainEqual(["xstate-inconsistent", ["avx"]]);
    const q = copyPolicy(hvmDef);
    q.xstate[0].eax |= 1 << 8;
    q.xstate[1].ecx = 1 << 8;
    q.xstate[0].ecx += 64;
    const msgs = auditPolicy(q, hvmMax).map((x) => x.message).join("\n");
    expect(msgs).toMatch(/state 8 that Xen never offers/);
    expect(msgs).toMatch(/XSS .* supervisor states/);
    expect(msgs).toMatch(/enabled states end at 0x00000a88/);
  });

  it("xstate-inconsistent: a component laid out differently from max", () => {
    const p = copyPolicy(hvmDef);
    p.xstate[2].ebx = 0x280;
    expect(auditPolicy(p, hvmMax).map((x) => [x.code, x.leaf, x.subleaf])).toContainEqual(["xstate-inconsistent", 0xd, 2]);
  });

  it("address-width-exceeded", () => {
    const p = copyPolicy(hvmDef);
    p.extd[8].eax = (p.extd[8].eax & ~0xff) | 52;
    expect(auditPolicy(p, hvmMax)).toEqual([expect.objectContaining({ code: "address-width-exceeded", leaf: 0x80000008 })]);
  });

  it("shadow paging and nested-virt narrow max as Xen does", () => {
    const p = withFeatures(hvmDef, ["vmx"]);
    expect(auditPolicy(p, hvmMax, { guest: "hvm" })).toEqual([]);
    expect(codes(auditPolicy(p, hvmMax, { guest: "hvm", nestedVirt: false }))).toEqual(["feature-not-in-max"]);
    const shadow = auditPolicy(hvmDef, hvmMax, { guest: "hvm", hap: false });
    expect(shadow.map((x) => x.features[0])).toEqual(expect.arrayContaining(["pcid", "pku", "invpcid", "page1gb"]));
  });

  it("findings travel as the FindingJson wire form with hex positions", () => {
    const fs = auditPolicy(withFeatures(hvmDef, ["avx512f"]), hvmMax);
    const j = findingToJson(fs[0]);
    expect(FindingJson.parse(j)).toEqual(j);
    expect(j).toMatchObject({ leaf: "00000007", subleaf: "00000000", register: "ebx" });
    for (const x of fs) expect(FindingCodes).toContain(x.code);
  });
});

describe("properties", () => {
  const bases = fc.constantFrom(...XEN_P_FILES.flatMap((file) => (["pv", "hvm"] as const).map((g) => [file, g] as const)));

  it("the allocation-free clean path agrees with the full findings", () => {
    fc.assert(
      fc.property(bases, fc.array(policyTweak, { maxLength: 4 }), ([file, g], tweaks) => {
        const p = xenPolicies(file);
        const req = copyPolicy(p[`${g}_default`]);
        for (const t of tweaks) t(req);
        const fast = auditPolicy(req, p[`${g}_max`], { guest: g });
        const slow = collectFindings(req, p[`${g}_max`], { guest: g });
        expect(fast.length === 0).toBe(slow.length === 0);
        for (const x of slow) expect(FindingCodes).toContain(x.code);
      }),
      RUNS,
    );
  });
});
