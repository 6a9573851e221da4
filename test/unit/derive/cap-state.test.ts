// Xen's capability bookkeeping (setup_force_cpu_cap / setup_clear_cpu_cap,
// both test-and-set), the Intel family 6 model test, and the host policy's
// leaf 7 clamp.

import { describe, expect, it } from "vitest";
import { clearCap, forceCap, newCapState } from "../../../shared/derive/cap-state.ts";
import { intelFam6, INTEL } from "../../../shared/derive/cpu-model.ts";
import { deriveHostPolicies } from "../../../shared/derive/derive.ts";
import { X } from "../../../shared/derive/features.ts";
import { featureNames, featuresetFromNames, setFeature } from "../../../shared/featureset/featureset.ts";
import { syntheticRaw } from "./support.ts";

describe("forced and cleared capabilities", () => {
  it("a feature is forced once: forcing it again does not undo a later change", () => {
    const s = newCapState(featuresetFromNames([]));
    forceCap(s, X.rdrand);
    setFeature(s.caps, X.rdrand, false);
    forceCap(s, X.rdrand);
    expect(featureNames(s.caps)).toEqual([]);
  });

  it("a feature is cleared once: clearing it again leaves later changes alone", () => {
    const s = newCapState(featuresetFromNames(["xsave", "avx", "avx2"]));
    clearCap(s, X.avx);
    expect(featureNames(s.caps)).toEqual(["xsave"]);
    setFeature(s.caps, X.avx, true);
    clearCap(s, X.avx);
    expect(featureNames(s.caps)).toEqual(["xsave", "avx"]);
  });

  it("a cleared feature cannot be forced", () => {
    const s = newCapState(featuresetFromNames(["avx"]));
    clearCap(s, X.avx);
    forceCap(s, X.avx);
    expect(featureNames(s.caps)).toEqual([]);
  });
});

describe("intelFam6", () => {
  it.each([
    ["Intel family 6, listed model", { vendor: "intel", family: 6, model: INTEL.SKYLAKE_X, stepping: 4 }, true],
    ["Intel family 6, other model", { vendor: "intel", family: 6, model: INTEL.ICELAKE_X, stepping: 4 }, false],
    ["Intel family 15, same model number", { vendor: "intel", family: 0xf, model: INTEL.SKYLAKE_X, stepping: 4 }, false],
    ["AMD, same family and model numbers", { vendor: "amd", family: 6, model: INTEL.SKYLAKE_X, stepping: 4 }, false],
  ] as const)("%s: %s", (_case, cpu, expected) => {
    expect(intelFam6(cpu, INTEL.SKYLAKE_X, INTEL.SKYLAKE)).toBe(expected);
  });
});

describe("host policy", () => {
  it("keeps leaf 7 subleaves 0–2: a larger max subleaf is clamped to 2", () => {
    const raw = syntheticRaw({ vendor: "intel", family: 6, model: 0x8f, features: "vmx" });
    raw.feat[0].eax = 5;
    expect(deriveHostPolicies(raw).host.feat[0].eax).toBe(2);
  });
});
