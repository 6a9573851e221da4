// Xen's cpuid= applied at the host step, and the host facts it interacts with.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deepDependentsOf } from "../../../shared/featureset/dependencies.ts";
import { FEATURES, featureByName } from "../../../shared/featureset/features.ts";
import { hasFeature } from "../../../shared/featureset/featureset.ts";
import { deriveFromXenHost, deriveHostPolicies } from "../../../shared/derive/derive.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { GUEST_POLICIES, xenPolicies } from "./support.ts";

const alder = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");
const has = (p: Parameters<typeof policyFeatureset>[0], name: string) => hasFeature(policyFeatureset(p), featureByName(name)!);

describe("cpuid= at the host step", () => {
  it("no-avx removes AVX and everything built on it from host and guests, and shrinks leaf 0xd", () => {
    const d = deriveHostPolicies(alder.raw, { cmdline: "no-avx" });
    for (const p of [d.host, ...GUEST_POLICIES.map((n) => d[n])]) {
      for (const name of ["avx", "avx2", "fma", "f16c", "vaes", "avx-vnni"]) expect(has(p, name), name).toBe(false);
      expect(p.xstate[0].eax & 4).toBe(0); // no YMM state
    }
    expect(has(d.pv_default, "sse4-2")).toBe(true);
  });

  it("applies on top of Xen's reported host policy too", () => {
    const d = deriveFromXenHost(alder.host, { raw: alder.raw, cmdline: "no-ibrsb" });
    for (const n of GUEST_POLICIES) for (const f of ["ibrsb", "stibp", "ssbd", "ibpb"]) expect(has(d[n], f), `${n} ${f}`).toBe(false);
  });

  it("rdrand keeps RDRAND in IvyBridge client defaults (SRBDS hiding), otherwise it is hidden", () => {
    const ivb = structuredClone(alder.raw);
    ivb.basic[1].eax = 0x306a9; // family 6 model 0x3a
    expect(has(deriveHostPolicies(ivb).pv_default, "rdrand")).toBe(false);
    expect(has(deriveHostPolicies(ivb).pv_max, "rdrand")).toBe(true);
    expect(has(deriveHostPolicies(ivb, { cmdline: "rdrand" }).pv_default, "rdrand")).toBe(true);
  });

  // Xen re-adds these to guest policies whatever its own view says (migration
  // safety, emulation, or derived from another bit); cpuid= cannot remove them there.
  const GUEST_SYNTHESISED = new Set([
    "apic", "x2apic", "htt", "cmp-legacy", "erms", "hypervisor", "no-lmsl", "md-clear", "fb-clear", "rfds-clear",
    "verw-clear", "arch-caps", "rsba", "rrsba", "rtm-always-abort", "stibp", "amd-stibp", "ibpb", "virt-ssbd",
  ]);

  it("a cleared feature and its deep dependents leave Xen's view, and guests unless Xen synthesises them", () => {
    fc.assert(
      fc.property(fc.subarray([...FEATURES], { maxLength: 6 }), (fs) => {
        const d = deriveHostPolicies(alder.raw, { cmdline: fs.map((f) => `no-${f.name}`).join(",") || undefined });
        for (const f of fs) {
          for (const g of [f, ...deepDependentsOf(f)]) {
            expect(has(d.host, g.name), `host ${g.name}`).toBe(false);
            if (GUEST_SYNTHESISED.has(g.name)) continue;
            for (const n of GUEST_POLICIES) expect(has(d[n], g.name), `${n} ${g.name}`).toBe(false);
          }
        }
      }),
      { seed: 2026, numRuns: 60 },
    );
  });
});

describe("host facts", () => {
  it("without HAP, HVM gets the shadow masks (no PCID, INVPCID, PAGE1GB)", () => {
    const d = deriveFromXenHost(alder.host, { raw: alder.raw, hap: false });
    for (const f of ["pcid", "invpcid", "page1gb"]) expect(has(d.hvm_default, f), f).toBe(false);
    expect(has(d.hvm_default, "smep")).toBe(true);
  });

  it("without HVM the HVM policies are empty, as Xen reports them", () => {
    const d = deriveFromXenHost(alder.host, { hvm: false });
    expect(d.hvm_max.basic[0].eax).toBe(0);
    expect(d.hvm_default.feat[0].ebx).toBe(0);
  });

  it("tsx=0 on a TSX_CTRL part: RTM out of defaults, RTM_ALWAYS_ABORT in", () => {
    const raw = structuredClone(alder.raw);
    raw.feat[0].ebx |= (1 << 4) | (1 << 11); // HLE, RTM
    raw.archCapsLo |= 1 << 7; // TSX_CTRL
    const d = deriveHostPolicies(raw, { tsx: false });
    expect(has(d.host, "rtm")).toBe(true);
    expect(has(d.hvm_max, "rtm")).toBe(true);
    expect(has(d.hvm_default, "rtm")).toBe(false);
    expect(has(d.hvm_default, "rtm-always-abort")).toBe(true);
  });
});
