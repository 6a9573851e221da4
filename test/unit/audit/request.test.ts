import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditPolicy } from "../../../shared/audit/audit.ts";
import { recalculateXstate } from "../../../shared/derive/xstate.ts";
import { FEATURE_NAMES } from "../../../shared/featureset/features.ts";
import { sanitiseFeatureset } from "../../../shared/featureset/dependencies.ts";
import { featureNames } from "../../../shared/featureset/featureset.ts";
import { KNOWN_FEATURES } from "../../../shared/featureset/masks.ts";
import { FEATURESET_WORDS } from "../../../shared/featureset/words.ts";
import { copyPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset, setPolicyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { PolicyFormatError, serialisePolicy } from "../../../shared/policy/serialise.ts";
import { buildRequestedPolicy } from "../../../shared/request/build-request.ts";
import { parseRequest, type PolicyRequest } from "../../../shared/request/parse-request.ts";
import { RequestError } from "../../../shared/request/request-error.ts";
import { FindingCodes } from "../../../shared/schemas/finding.ts";
import { policyToJson } from "../../../shared/policy/policy-json.ts";
import { xenPolicies } from "../derive/support.ts";
import { XEN_P_FILES } from "./support.ts";

const RUNS = { seed: 42, numRuns: 300 };
const ALDER = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");

describe("parseRequest", () => {
  it("accepts a feature request and normalises names", () => {
    expect(parseRequest({ baseline: "max", enable: ["AVX512F", "lahf_lm"], disable: ["rtm"] })).toEqual({
      kind: "features",
      baseline: "max",
      enable: ["avx512f", "lahf-lm"],
      disable: ["rtm"],
    });
    expect(parseRequest({})).toEqual({ kind: "features", baseline: "default", enable: [], disable: [] });
  });

  it("names an unknown feature and suggests the closest", () => {
    expect(() => parseRequest({ enable: ["avx512"] })).toThrow(/enable\.0: unknown feature "avx512"; did you mean avx512f/);
  });

  it("rejects a feature both enabled and disabled, unknown keys and bad baselines", () => {
    expect(() => parseRequest({ enable: ["avx2"], disable: ["avx2"] })).toThrow(/avx2 both enabled and disabled/);
    expect(() => parseRequest({ enabled: ["avx2"] })).toThrow(RequestError);
    expect(() => parseRequest({ baseline: "pool" })).toThrow(/baseline/);
  });

  it("a document with leaves is a full serialised policy", () => {
    const doc = policyToJson(serialisePolicy(ALDER.hvm_default));
    const r = parseRequest(doc);
    expect(r.kind).toBe("policy");
    const p = buildRequestedPolicy(ALDER, "hvm", r);
    expect(auditPolicy(p, ALDER.hvm_max)).toEqual([]);
    expect(() => parseRequest({ leaves: [{ leaf: "zz" }], msrs: [] })).toThrow(/invalid serialised policy/);
    expect(() => parseRequest({ vendor: "intel", policies: {} })).toThrow(/jq \.policies\.hvm_default/);
  });

  it("a full policy gets Xen's acceptance rules", () => {
    const bad = { leaves: [{ leaf: "00000007", subleaf: "00000009", eax: "0", ebx: "0", ecx: "0", edx: "0" }], msrs: [] };
    expect(() => buildRequestedPolicy(ALDER, "hvm", parseRequest(bad))).toThrow(PolicyFormatError);
  });
});

describe("buildRequestedPolicy", () => {
  it("copies the baseline; a disabled feature takes its deep dependents with it", () => {
    const p = buildRequestedPolicy(ALDER, "hvm", { kind: "features", baseline: "default", enable: [], disable: ["avx"] });
    const names = featureNames(policyFeatureset(p));
    expect(names).not.toContain("avx");
    expect(names).not.toContain("avx2");
    expect(names).not.toContain("fma");
    expect(names).toContain("xsave");
    expect(p.xstate[0].eax & (1 << 2)).toBe(0); // leaf 0xd follows the features
    expect(auditPolicy(p, ALDER.hvm_max, { guest: "hvm" })).toEqual([]);
  });

  it("an explicitly enabled dependent of a disabled feature stays on and is reported", () => {
    const p = buildRequestedPolicy(ALDER, "hvm", { kind: "features", baseline: "default", enable: ["avx2"], disable: ["avx"] });
    const names = featureNames(policyFeatureset(p));
    expect(names).toContain("avx2");
    expect(names).not.toContain("fma");
    const findings = auditPolicy(p, ALDER.hvm_max, { guest: "hvm" });
    expect(findings.map((f) => f.code)).toContain("dependency-missing");
    expect(findings.find((f) => f.code === "dependency-missing")!.features).toEqual(expect.arrayContaining(["avx2", "avx"]));
  });

  it("raises the max leaf so an enabled feature is visible", () => {
    const p = buildRequestedPolicy(ALDER, "hvm", { kind: "features", baseline: "default", enable: ["itsc"], disable: [] });
    expect(p.extd[0].eax >>> 0).toBe(0x80000008);
    const q = buildRequestedPolicy(ALDER, "hvm", { kind: "features", baseline: "default", enable: ["lfence-dispatch"], disable: [] });
    expect(q.extd[0].eax >>> 0).toBe(0x80000021);
    expect(auditPolicy(q, ALDER.hvm_max, { guest: "hvm" }).map((f) => f.features[0])).toEqual(["lfence-dispatch"]);
  });

  it("opting in to a max-only feature audits clean", () => {
    const p = buildRequestedPolicy(ALDER, "pv", { kind: "features", baseline: "default", enable: ["itsc"], disable: [] });
    expect(auditPolicy(p, ALDER.pv_max, { guest: "pv" })).toEqual([]);
  });
});

describe("properties", () => {
  const hosts = XEN_P_FILES.map((file) => xenPolicies(file));

  it("dependency closure: any featureset, sanitised, has no dependency findings", () => {
    const words = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: FEATURESET_WORDS, maxLength: FEATURESET_WORDS });
    fc.assert(
      fc.property(fc.constantFrom(...hosts), fc.constantFrom("pv" as const, "hvm" as const), words, (h, g, w) => {
        const fs = Uint32Array.from(w);
        sanitiseFeatureset(fs, KNOWN_FEATURES);
        const p = copyPolicy(h[`${g}_max`]);
        setPolicyFeatureset(p, fs);
        recalculateXstate(p, h[`${g}_max`]);
        const findings = auditPolicy(p, h[`${g}_max`], { guest: g });
        const codes = new Set(findings.map((f) => f.code));
        expect(codes.has("dependency-missing") || codes.has("arch-caps-inconsistent") || codes.has("unknown-bit")).toBe(false);
      }),
      RUNS,
    );
  });

  it("random requests never crash the build or the audit", () => {
    const names = fc.array(fc.constantFrom(...FEATURE_NAMES), { maxLength: 12 });
    fc.assert(
      fc.property(
        fc.constantFrom(...hosts),
        fc.constantFrom("pv" as const, "hvm" as const),
        fc.constantFrom("default" as const, "max" as const),
        names,
        names,
        (h, g, baseline, enable, disable) => {
          const request: PolicyRequest = { kind: "features", baseline, enable, disable: disable.filter((d) => !enable.includes(d)) };
          const findings = auditPolicy(buildRequestedPolicy(h, g, request), h[`${g}_max`], { guest: g });
          for (const f of findings) {
            expect(FindingCodes).toContain(f.code);
            expect(f.message.length).toBeGreaterThan(10);
          }
        },
      ),
      RUNS,
    );
  });

  it("random full policies are refused by Xen's rules or audited, never crash", () => {
    const hex8 = fc.integer({ min: 0, max: 0xffffffff }).map((n) => n.toString(16));
    const leaf = fc.record({
      leaf: fc.oneof(fc.integer({ min: 0, max: 0x10 }), fc.integer({ min: 0x80000000, max: 0x80000024 })).map((n) => n.toString(16)),
      subleaf: fc.oneof(fc.constant("ffffffff"), fc.integer({ min: 0, max: 70 }).map((n) => n.toString(16))),
      eax: hex8,
      ebx: hex8,
      ecx: hex8,
      edx: hex8,
    });
    fc.assert(
      fc.property(fc.array(leaf, { maxLength: 20 }), (leaves) => {
        try {
          const p = buildRequestedPolicy(ALDER, "hvm", parseRequest({ leaves, msrs: [] }));
          expect(Array.isArray(auditPolicy(p, ALDER.hvm_max))).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(PolicyFormatError);
        }
      }),
      RUNS,
    );
  });
});
