// Derivation against real `xen-cpuid -p` outputs. The Alder Lake one comes
// from a 4.22-unstable Xen, whose semantics we implement: everything must
// match to the bit. The two older outputs differ only where Xen changed
// between their release and 4.22; each expected difference names the change.

import { describe, expect, it } from "vitest";
import { deriveFromXenHost, deriveHostPolicies } from "../../../shared/derive/derive.ts";
import { parseFeatureset } from "../../../shared/featureset/featureset.ts";
import { emptyPolicy } from "../../../shared/policy/cpu-policy.ts";
import { setPolicyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import { xenCpuidFixture } from "../../support/fixtures.ts";
import { GUEST_POLICIES, featureDiff, xenPolicies } from "./support.ts";

describe("Alder Lake, Xen 4.22-unstable", () => {
  const xen = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");

  it("reproduces Xen's guest policies from its Host policy: every leaf and MSR", () => {
    const d = deriveFromXenHost(xen.host, { raw: xen.raw });
    for (const n of GUEST_POLICIES) expect(serialisePolicy(d[n]), n).toEqual(serialisePolicy(xen[n]));
  });

  it("reproduces Xen's host and guest policies from its Raw policy", () => {
    const d = deriveHostPolicies(xen.raw);
    for (const n of ["host", ...GUEST_POLICIES] as const) expect(serialisePolicy(d[n]), n).toEqual(serialisePolicy(xen[n]));
  });
});

describe("older Xen releases: every differing bit is a later Xen change", () => {
  it("Tiger Lake nested in VirtualBox (4.20-unstable): ERMS in max only since 4.21 (5cbaa5d92e)", () => {
    const xen = xenPolicies("xen-cpuid-p_core-i7-1185g7_tigerlake_nested-in-virtualbox.txt");
    const d = deriveFromXenHost(xen.host, { raw: xen.raw });
    expect(featureDiff(d.pv_max, xen.pv_max)).toEqual({ ours: ["erms"], xen: [] });
    for (const n of ["pv_default", "hvm_max", "hvm_default"] as const) expect(featureDiff(d[n], xen[n]), n).toEqual({ ours: [], xen: [] });
    // No VT-x under VirtualBox: no HVM policies, reported as empty ones.
    expect(serialisePolicy(d.hvm_max)).toEqual(serialisePolicy(xen.hvm_max));
  });

  it("Ivy Bridge-EN (4.15-era)", () => {
    const xen = xenPolicies("xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt");
    const d = deriveFromXenHost(xen.host, { raw: xen.raw });
    // 4.18: MSR_ARCH_CAPS became featureset words 16/17, offered on all Intel
    // hosts (ARCH_CAPS) with the migration-safety bits in max (RSBA, FB_CLEAR,
    // RFDS_CLEAR — the latter 4.19). 4.19: CMP_LEGACY forced in max;
    // X2APIC moved from !A to !S, so PV default no longer inherits it.
    const maxOnly = ["cmp-legacy", "arch-caps", "rsba", "fb-clear", "rfds-clear"];
    expect(featureDiff(d.pv_max, xen.pv_max)).toEqual({ ours: maxOnly, xen: [] });
    expect(featureDiff(d.hvm_max, xen.hvm_max)).toEqual({ ours: maxOnly, xen: [] });
    expect(featureDiff(d.pv_default, xen.pv_default)).toEqual({ ours: ["arch-caps"], xen: ["x2apic"] });
    expect(featureDiff(d.hvm_default, xen.hvm_default)).toEqual({ ours: ["arch-caps"], xen: [] });
    // 4.20: guest max policies get every max leaf / subleaf.
    expect(d.pv_max.extd[0].eax).toBe(0x80000021);
    expect(xen.pv_max.extd[0].eax).toBe(0x80000008);
  });

  it("Ivy Bridge-EN from Raw: GDS_NO (4.18), RFDS_NO (4.19), ITS_NO (4.21) synthesised", () => {
    const xen = xenPolicies("xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt");
    expect(featureDiff(deriveHostPolicies(xen.raw).host, xen.host)).toEqual({ ours: ["gds-no", "rfds-no", "its-no"], xen: [] });
  });
});

describe("Coffee Lake (xen-cpuid detail, 4.19-unstable): host emulated from the Raw featureset", () => {
  it("differs from that Xen only by later changes", () => {
    const text = xenCpuidFixture("xen-cpuid-detail_core-i7-8750h_coffeelake.txt");
    const dynamic = text.slice(text.indexOf("Dynamic sets:"));
    const set = (name: string) => parseFeatureset(dynamic.match(new RegExp(`^${name}\\s+([0-9a-f:]+)$`, "m"))![1]);
    const raw = emptyPolicy();
    raw.basic[0] = { eax: 0x16, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 }; // GenuineIntel
    raw.basic[1].eax = 0x906ea; // family 6 model 0x9e stepping 10
    raw.basic[1].ebx = 0x00100800; // CLFLUSH line 64 bytes
    raw.extd[0].eax = 0x80000008;
    setPolicyFeatureset(raw, set("Raw"));
    const d = deriveHostPolicies(raw);
    const xenFs = (name: string) => {
      const p = emptyPolicy();
      setPolicyFeatureset(p, set(name));
      return p;
    };
    // RTM_ALWAYS_ABORT without RTM on this very part is the firmware bug Xen
    // learnt to handle in b33f191e3c (4.19.0): TSX bits dropped, not forced.
    // SDBG and SGX_LC became known later; ITS_NO is 4.21; CMP_LEGACY in max
    // and X2APIC out of PV default are 4.19.
    expect(featureDiff(d.host, xenFs("Host"))).toEqual({
      ours: ["sdbg", "sgx-lc", "its-no"],
      xen: ["hle", "rtm", "rtm-always-abort", "tsx-force-abort"],
    });
    expect(featureDiff(d.pv_max, xenFs("PV Max"))).toEqual({ ours: ["cmp-legacy", "its-no"], xen: ["hle", "rtm"] });
    expect(featureDiff(d.hvm_max, xenFs("HVM Max"))).toEqual({ ours: ["cmp-legacy", "its-no"], xen: ["hle", "rtm"] });
    expect(featureDiff(d.pv_default, xenFs("PV Default"))).toEqual({ ours: ["its-no"], xen: ["x2apic"] });
    expect(featureDiff(d.hvm_default, xenFs("HVM Default"))).toEqual({ ours: ["its-no"], xen: [] });
  });
});
