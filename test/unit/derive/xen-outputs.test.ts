// Derivation against real `xen-cpuid -p` / `xen-cpuid detail` outputs. Each
// output is derived with the nearest modelled release (shared/derive/release.ts):
// the Alder Lake one comes from a 4.22-unstable Xen and must match master to
// the bit; every difference left in the older ones is a table row naming the
// Xen commit that makes the modelled release differ from the Xen that wrote
// the output. Commits are master's; the stable-4.17 branch carries backports
// of the security ones under other hashes.

import { describe, expect, it } from "vitest";
import { deriveFromXenHost, deriveHostPolicies, type DerivedPolicies } from "../../../shared/derive/derive.ts";
import { parseFeatureset } from "../../../shared/featureset/featureset.ts";
import { emptyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { setPolicyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import { xenCpuidFixture } from "../../../devenv/fixtures.ts";
import { GUEST_POLICIES, featureDiff, xenPolicies } from "./support.ts";

type PolicyName = "host" | (typeof GUEST_POLICIES)[number];

/** One remaining difference: in `policy`, `feature` is only in ours or only in Xen's, because of `commit`. */
interface Traced {
  policy: PolicyName;
  feature: string;
  only: "ours" | "xen";
  commit: string;
}

const C = {
  archCapsMax: "bbb289f3d5 x86/boot: Expose MSR_ARCH_CAPS data in guest max policies",
  archCapsDefault: "4b2cdbfe76 x86/cpu-policy: Advertise MSR_ARCH_CAPS to guests by default",
  rsba: "e0586a4ff5 x86/cpu-policy: Derive RSBA/RRSBA for guest policies",
  verw: "de17162caf x86/cpu-policy: Allow for levelling of VERW side effects",
  rfds: "fb5b6f6744 x86/spec-ctrl: Mitigation Register File Data Sampling",
  cmpLegacy: "e2d8a65225 x86/cpu-policy: Fix visibility of HTT/CMP_LEGACY in max policies",
  x2apic: "5420aa165d x86/cpu-policy: Hide x2APIC from PV guests",
  gds: "56d690efd3 x86/spec-ctrl: Mitigate Gather Data Sampling",
  its: "f6042f38e6 x86/spec-ctrl: Synthesise ITS_NO to guests on unaffected hardware",
  featMaxSubleaf: "a2330b51df x86/cpu-policy: Fix migration from Ice Lake to Cascade Lake",
  maxLeaves: "fa2d831803 x86/cpu-policy: Extend the guest max policy max leaf/subleaves",
  erms: "5cbaa5d92e x86: suppress ERMS for internal use when MISC_ENABLE.FAST_STRING is clear",
  tsxMismatch: "b33f191e3c x86/tsx: Cope with RTM_ALWAYS_ABORT vs RTM mismatch",
  sprFeatures: "5afb11ac40 x86/cpufeatures: Add new cpuid features in SPR to featureset",
} as const;

const rows = (policy: PolicyName, only: "ours" | "xen", commit: string, features: string): Traced[] =>
  features.split(" ").map((feature) => ({ policy, feature, only, commit }));

/** The feature differences of derived vs Xen's policies, as rows without a commit, in a stable order. */
function untraced(d: Partial<Record<PolicyName, CpuPolicy>>, xen: Partial<Record<PolicyName, CpuPolicy>>): Omit<Traced, "commit">[] {
  const out: Omit<Traced, "commit">[] = [];
  for (const policy of Object.keys(xen) as PolicyName[]) {
    const diff = featureDiff(d[policy]!, xen[policy]!);
    for (const only of ["ours", "xen"] as const) for (const feature of diff[only]) out.push({ policy, feature, only });
  }
  return out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function expectTraced(d: Partial<Record<PolicyName, CpuPolicy>>, xen: Partial<Record<PolicyName, CpuPolicy>>, table: Traced[]): void {
  const expected = table.map(({ policy, feature, only }) => ({ policy, feature, only }));
  expect(untraced(d, xen)).toEqual(expected.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
}

const guests = (p: Record<PolicyName, CpuPolicy> | DerivedPolicies) => ({
  pv_max: p.pv_max,
  pv_default: p.pv_default,
  hvm_max: p.hvm_max,
  hvm_default: p.hvm_default,
});

describe("Alder Lake, Xen 4.22-unstable: release master", () => {
  const xen = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");

  it("reproduces Xen's guest policies from its Host policy: every leaf and MSR", () => {
    const d = deriveFromXenHost(xen.host, { raw: xen.raw });
    expect(d.release).toBe("master");
    for (const n of GUEST_POLICIES) expect(serialisePolicy(d[n]), n).toEqual(serialisePolicy(xen[n]));
  });

  it("reproduces Xen's host and guest policies from its Raw policy", () => {
    const d = deriveHostPolicies(xen.raw);
    for (const n of ["host", ...GUEST_POLICIES] as const) expect(serialisePolicy(d[n]), n).toEqual(serialisePolicy(xen[n]));
  });
});

describe("Tiger Lake nested in VirtualBox, Xen 4.20-unstable: release master", () => {
  const xen = xenPolicies("xen-cpuid-p_core-i7-1185g7_tigerlake_nested-in-virtualbox.txt");

  it("differs only by later commits", () => {
    const d = deriveFromXenHost(xen.host, { raw: xen.raw, release: "master" });
    expectTraced(guests(d), guests(xen), rows("pv_max", "ours", C.erms, "erms"));
    // No VT-x under VirtualBox: no HVM policies, reported as empty ones.
    expect(serialisePolicy(d.hvm_max)).toEqual(serialisePolicy(xen.hvm_max));
    // fa2d831803 (4.20) is in that Xen already, as in master.
    expect(d.pv_max.extd[0].eax).toBe(xen.pv_max.extd[0].eax);
  });
});

describe("Ivy Bridge-EN, Xen 4.15-era: release 4.17", () => {
  const xen = xenPolicies("xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt");

  it("guest policies from Xen's Host policy differ only by commits after that Xen (backported to 4.17)", () => {
    const d = deriveFromXenHost(xen.host, { raw: xen.raw, release: "4.17" });
    expect(d.release).toBe("4.17");
    const table: Traced[] = [];
    for (const max of ["pv_max", "hvm_max"] as const) {
      table.push(
        ...rows(max, "ours", C.archCapsMax, "arch-caps"),
        ...rows(max, "ours", C.rsba, "rsba"),
        ...rows(max, "ours", C.verw, "fb-clear"),
        ...rows(max, "ours", C.rfds, "rfds-clear"),
        ...rows(max, "ours", C.cmpLegacy, "cmp-legacy"),
      );
    }
    table.push(
      ...rows("pv_default", "ours", C.archCapsDefault, "arch-caps"),
      ...rows("hvm_default", "ours", C.archCapsDefault, "arch-caps"),
      ...rows("pv_default", "xen", C.x2apic, "x2apic"),
    );
    expectTraced(guests(d), guests(xen), table);
    // Max leaves as 4.17 keeps them (fa2d831803 is 4.20): only leaf 7's max
    // subleaf is raised, to 2 (a2330b51df, backported to 4.17; 4.15 left it).
    for (const max of ["pv_max", "hvm_max"] as const) {
      expect(d[max].basic[0].eax).toBe(xen[max].basic[0].eax);
      expect(d[max].extd[0].eax).toBe(xen[max].extd[0].eax);
      expect([d[max].feat[0].eax, xen[max].feat[0].eax], C.featMaxSubleaf).toEqual([2, 0]);
    }
  });

  it("release master also raises the max leaves (fa2d831803)", () => {
    const d = deriveFromXenHost(xen.host, { raw: xen.raw, release: "master" });
    expect(d.pv_max.extd[0].eax).toBe(0x80000021);
    expect(xen.pv_max.extd[0].eax).toBe(0x80000008);
  });

  it("the host policy from Raw differs by the synthesised *_NO bits", () => {
    const d = deriveHostPolicies(xen.raw, { release: "4.17" });
    expectTraced({ host: d.host }, { host: xen.host }, [
      ...rows("host", "ours", C.gds, "gds-no"),
      ...rows("host", "ours", C.rfds, "rfds-no"),
      ...rows("host", "ours", C.its, "its-no"),
    ]);
  });
});

describe("Coffee Lake (xen-cpuid detail), Xen 4.19-unstable: release 4.17, host emulated from the Raw featureset", () => {
  const text = xenCpuidFixture("xen-cpuid-detail_core-i7-8750h_coffeelake.txt");
  const dynamic = text.slice(text.indexOf("Dynamic sets:"));
  const set = (name: string) => parseFeatureset(dynamic.match(new RegExp(`^${name}\\s+([0-9a-f:]+)$`, "m"))![1]);
  const xenFs = (name: string) => {
    const p = emptyPolicy();
    setPolicyFeatureset(p, set(name));
    return p;
  };
  const raw = () => {
    const p = emptyPolicy();
    p.basic[0] = { eax: 0x16, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 }; // GenuineIntel
    p.basic[1].eax = 0x906ea; // family 6 model 0x9e stepping 10
    p.basic[1].ebx = 0x00100800; // CLFLUSH line 64 bytes
    p.extd[0].eax = 0x80000008;
    setPolicyFeatureset(p, set("Raw"));
    return p;
  };

  it("differs from that Xen only by commits it did not have yet", () => {
    const d = deriveHostPolicies(raw(), { release: "4.17" });
    const xen = {
      host: xenFs("Host"),
      pv_max: xenFs("PV Max"),
      hvm_max: xenFs("HVM Max"),
      pv_default: xenFs("PV Default"),
      hvm_default: xenFs("HVM Default"),
    };
    // RTM_ALWAYS_ABORT without RTM on this very part is the firmware bug Xen
    // learnt to handle in b33f191e3c: TSX bits dropped, not forced.
    const table: Traced[] = [...rows("host", "xen", C.tsxMismatch, "hle rtm rtm-always-abort tsx-force-abort")];
    for (const p of ["host", ...GUEST_POLICIES] as const) table.push(...rows(p, "ours", C.its, "its-no"));
    for (const max of ["pv_max", "hvm_max"] as const) {
      table.push(...rows(max, "xen", C.tsxMismatch, "hle rtm"), ...rows(max, "ours", C.cmpLegacy, "cmp-legacy"));
    }
    table.push(...rows("pv_default", "xen", C.x2apic, "x2apic"));
    expectTraced(d, xen, table);
  });

  it("release master also knows SDBG and SGX_LC (5afb11ac40)", () => {
    const master = deriveHostPolicies(raw(), { release: "master" });
    const r417 = deriveHostPolicies(raw(), { release: "4.17" });
    expect(featureDiff(master.host, r417.host), C.sprFeatures).toEqual({ ours: ["sdbg", "sgx-lc"], xen: [] });
  });
});
