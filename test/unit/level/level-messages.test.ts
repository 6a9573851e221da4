// What levelling tells a person, word for word: the errors that refuse a
// pool, the warnings about what the level cannot promise (TSC, LBR, pool-wide
// hints) and who removed what; and the small rules underneath (host lists,
// member classes, the pool's leaf limits, the invariant-TSC rule).

import { describe, expect, it } from "vitest";
import { acceptingHosts, breaksInvariantTsc, invariantTscCheck, policyFits } from "../../../shared/level/compat.ts";
import { groupBy, hostList } from "../../../shared/level/group.ts";
import { keepsInvariantTsc, sameTscRate } from "../../../shared/level/host-facts.ts";
import { applyLeafLimits, commonLeafLimits } from "../../../shared/level/leaf-limits.ts";
import { levelPolicies, type LevelMember } from "../../../shared/level/level.ts";
import { memberClasses } from "../../../shared/level/member-classes.ts";
import { loadPoolBits } from "../../../shared/level/pool-bits.ts";
import { invariantTscLosers } from "../../../shared/level/tsc.ts";
import { featureByName } from "../../../shared/featureset/features.ts";
import { featureNames, hasFeature } from "../../../shared/featureset/featureset.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { xenPolicies } from "../derive/support.ts";
import { withFeatures } from "../audit/support.ts";

const ALDER = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");
const ITSC = withFeatures(ALDER.hvm_max, ["itsc"]);
const NO_ITSC = withFeatures(ALDER.hvm_max, [], ["itsc"]);
const has = (p: CpuPolicy, name: string) => hasFeature(policyFeatureset(p), featureByName(name)!);

function tweak(change: (p: CpuPolicy) => void, from: CpuPolicy = ALDER.hvm_max): CpuPolicy {
  const p = copyPolicy(from);
  change(p);
  return p;
}

const AMD = tweak((p) => Object.assign(p.basic[0], { ebx: 0x68747541, edx: 0x69746e65, ecx: 0x444d4163 }));

describe("host lists and grouping", () => {
  it("lists up to eight hosts, then counts the rest", () => {
    const hosts = Array.from({ length: 10 }, (_, i) => `h${i}`);
    expect(hostList(hosts.slice(0, 8))).toBe("h0, h1, h2, h3, h4, h5, h6, h7");
    expect(hostList(hosts.slice(0, 9))).toBe("h0, h1, h2, h3, h4, h5, h6, h7 and 1 more");
    expect(hostList(hosts, 2)).toBe("h0, h1 and 8 more");
  });

  it("groups in order of first appearance and skips items without a key", () => {
    const groups = groupBy([1, 2, 3, 4, 5, 6], (n) => (n === 6 ? undefined : n % 2 ? "odd" : "even"));
    expect([...groups]).toEqual([
      ["odd", [1, 3, 5]],
      ["even", [2, 4]],
    ]);
  });
});

describe("member classes", () => {
  const m = (host: string, key?: string, khz?: number) => ({ host, policy: ALDER.hvm_max, key, facts: khz === undefined ? undefined : { tsc: { khz } } });

  it("one class per key and facts; a member without a key is its own class", () => {
    const { classOf, firstMember, reps } = memberClasses([m("a", "k", 1), m("b", "k", 2), m("c", "k", 2), m("d"), m("e", "k", 1), m("f"), m("g", "k", 3)]);
    expect([...classOf]).toEqual([0, 1, 1, 2, 0, 3, 4]);
    expect(firstMember).toEqual([0, 1, 3, 5, 6]);
    expect(reps.map((r) => r.host)).toEqual(["a", "b", "d", "f", "g"]);
  });

  it("facts count in full: TSC frequency, scaling and LBR format", () => {
    const facts = [{ tsc: { khz: 1, scaling: true } }, { tsc: { khz: 1, scaling: false } }, { tsc: { khz: 1, scaling: true }, lbrFormat: 5 }, { tsc: { khz: 1, scaling: true } }];
    const { classOf } = memberClasses(facts.map((f, i) => ({ host: `h${i}`, policy: ALDER.hvm_max, key: "k", facts: f })));
    expect([...classOf]).toEqual([0, 1, 2, 0]);
  });
});

describe("the pool's leaf limits", () => {
  const widths = (phys: number, lin: number, extdMax = 0x80000008) =>
    tweak((p) => {
      p.extd[0].eax = extdMax;
      p.extd[8].eax = (lin << 8) | phys;
    });

  it("the smallest max leaves and address widths", () => {
    const a = tweak((p) => Object.assign(p, { basic: p.basic.map((l, i) => (i === 0 ? { ...l, eax: 0xb } : l)) }), widths(46, 57));
    const limits = commonLeafLimits(loadPoolBits([{ host: "a", policy: a }, { host: "b", policy: widths(39, 48, 0x80000021) }]));
    expect(limits).toEqual({ basic: 0xb, feat: 2, extd: 0x80000008, physBits: 39, linBits: 48 });
  });

  it("a member without leaf 0x80000008 does not limit the widths", () => {
    const limits = commonLeafLimits(loadPoolBits([{ host: "a", policy: widths(30, 30, 0x80000007) }, { host: "b", policy: widths(46, 48) }]));
    expect(limits).toMatchObject({ extd: 0x80000007, physBits: 46, linBits: 48 });
    expect(commonLeafLimits(loadPoolBits([{ host: "a", policy: widths(30, 30, 0x80000007) }]))).toEqual({ basic: 0xd, feat: 2, extd: 0x80000007 });
  });

  it("the level takes the limits, and PLATFORM_INFO only where every member has it", () => {
    const r = levelPolicies([{ host: "a", policy: widths(46, 57) }, { host: "b", policy: tweak((p) => (p.platformInfo = 0), widths(39, 48)) }]);
    expect(r.policy!.extd[8].eax & 0xffff).toBe((48 << 8) | 39);
    expect(r.policy!.platformInfo).toBe(0);
    expect(levelPolicies([{ host: "a", policy: ALDER.hvm_max }]).policy!.platformInfo).toBe(0x80000000);
  });

  it("applies the leaf limits, and the widths only when there are some", () => {
    const p = copyPolicy(ALDER.hvm_max);
    const before = p.extd[8].eax;
    expect(before & 0xffff).not.toBe(0);
    applyLeafLimits(p, { basic: 0xd, feat: 0, extd: 0x80000007 });
    expect([p.basic[0].eax, p.feat[0].eax, p.extd[0].eax, p.extd[8].eax]).toEqual([0xd, 0, 0x80000007, before]);
    applyLeafLimits(p, { basic: 0xd, feat: 0, extd: 0x80000008, physBits: 36, linBits: 47 });
    expect(p.extd[8].eax).toBe(((before & ~0xffff) | (47 << 8) | 36) >>> 0);
  });

  it("without leaf 0xd in the level there is no XSAVE", () => {
    const low = tweak((p) => (p.basic[0].eax = 0xc));
    const r = levelPolicies([{ host: "a", policy: ALDER.hvm_max }, { host: "b", policy: low, max: ALDER.hvm_max }]);
    expect(r.policy!.basic[0].eax).toBe(0xc);
    expect(has(r.policy!, "xsave")).toBe(false);
    expect(has(r.policy!, "avx")).toBe(false);
    expect(r.removed).toEqual([{ host: "b", features: expect.arrayContaining(["xsavec", "xsaves"]) }]);
  });
});

describe("errors", () => {
  it("no members: nothing levelled, nothing removed", () => {
    expect(levelPolicies([])).toEqual({ policy: null, removed: [], errors: ["no hosts to level"], warnings: [] });
  });

  it("a refused pool has no level and removes nothing", () => {
    expect(levelPolicies([{ host: "a", policy: ALDER.hvm_max }, { host: "b", policy: AMD }])).toEqual({
      policy: null,
      removed: [],
      errors: ['hosts of different vendors cannot share a pool level; intel ("GenuineIntel"): a; amd ("AuthenticAMD"): b'],
      warnings: [],
    });
  });

  it("mixed vendors: each vendor with its hosts", () => {
    expect(levelPolicies([{ host: "a", policy: ALDER.hvm_max }, { host: "b", policy: AMD }, { host: "c", policy: ALDER.hvm_max }]).errors).toEqual([
      'hosts of different vendors cannot share a pool level; intel ("GenuineIntel"): a, c; amd ("AuthenticAMD"): b',
    ]);
  });

  it("an unprintable vendor byte reads ?; each vendor register counts", () => {
    const odd = tweak((p) => (p.basic[0].ebx = 0x756e6501));
    expect(levelPolicies([{ host: "a", policy: ALDER.hvm_max }, { host: "b", policy: odd }]).errors).toEqual([
      'hosts of different vendors cannot share a pool level; intel ("GenuineIntel"): a; unknown ("?enuineIntel"): b',
    ]);
    for (const reg of ["ebx", "ecx", "edx"] as const) {
      const other = tweak((p) => (p.basic[0][reg] ^= 0x100));
      expect(levelPolicies([{ host: "a", policy: ALDER.hvm_max }, { host: "b", policy: other }]).errors).toEqual([expect.stringMatching(/^hosts of different vendors cannot share a pool level; intel \("GenuineIntel"\): a; unknown/)]);
    }
  });

  it("an empty policy is reported and left out of the vendor check", () => {
    const empty = tweak((p) => Object.assign(p.basic[0], { eax: 0, ebx: 0, ecx: 0, edx: 0 }));
    expect(levelPolicies([{ host: "e", policy: empty }, { host: "a", policy: ALDER.hvm_max }]).errors).toEqual([
      "host e has an empty policy: Xen offers no such guests there",
    ]);
    expect(levelPolicies([{ host: "e", policy: empty }, { host: "a", policy: ALDER.hvm_max }, { host: "b", policy: AMD }]).errors).toEqual([
      "host e has an empty policy: Xen offers no such guests there",
      'hosts of different vendors cannot share a pool level; intel ("GenuineIntel"): a; amd ("AuthenticAMD"): b',
    ]);
    const notEmpty = tweak((p) => (p.basic[0].eax = 1), empty);
    expect(levelPolicies([{ host: "e", policy: notEmpty }, { host: "a", policy: ALDER.hvm_max }]).errors[0]).toMatch(/^hosts of different vendors/);
  });

  it("each class's own leaf 0 counts for emptiness and vendor, whichever class comes first", () => {
    const empty = tweak((p) => Object.assign(p.basic[0], { eax: 0, ebx: 0, ecx: 0, edx: 0 }));
    const emptyError = "host e has an empty policy: Xen offers no such guests there";
    expect(levelPolicies([{ host: "e", policy: empty }, { host: "a", policy: ALDER.hvm_max }, { host: "b", policy: ALDER.hvm_max }]).errors).toEqual([emptyError]);
    expect(levelPolicies([{ host: "e", policy: empty }, { host: "a", policy: ALDER.hvm_max }, { host: "b", policy: AMD }]).errors).toEqual([
      emptyError,
      'hosts of different vendors cannot share a pool level; intel ("GenuineIntel"): a; amd ("AuthenticAMD"): b',
    ]);
    // not empty: a max leaf without a vendor, or any one vendor register without a max leaf
    const partly = [
      tweak((p) => (p.basic[0].eax = 1), empty),
      tweak((p) => (p.basic[0].ebx = 0x41414141), empty),
      tweak((p) => (p.basic[0].ecx = 0x41414141), empty),
      tweak((p) => (p.basic[0].edx = 0x41414141), empty),
    ];
    for (const policy of partly) {
      expect(levelPolicies([{ host: "a", policy: ALDER.hvm_max }, { host: "x", policy }]).errors).toEqual([
        expect.stringMatching(/^hosts of different vendors cannot share a pool level; intel \("GenuineIntel"\): a; unknown \("[?A]{12}"\): x$/),
      ]);
    }
  });

  it("a level that does not fit a member names the host and the findings, once per host of the class", () => {
    const r = levelPolicies(
      [
        { host: "h1", policy: ALDER.hvm_max, max: AMD, key: "k" },
        { host: "h2", policy: ALDER.hvm_max, max: AMD, key: "k" },
      ],
      { guest: "hvm" },
    );
    const finding = `vendor "GenuineIntel" (leaf 0x00000000 ebx/edx/ecx) differs from the max policy's "AuthenticAMD"; Xen rejects cross-vendor policies`;
    expect(r.errors).toEqual([`the level does not fit host h1: ${finding}`, `the level does not fit host h2: ${finding}`]);
    expect(r.policy).toBeNull();
  });
});

describe("warnings", () => {
  it("ITSC with no TSC frequency known", () => {
    expect(levelPolicies([{ host: "a", policy: ITSC }, { host: "b", policy: ITSC }], { guest: "hvm" }).warnings).toEqual([
      "itsc kept without any TSC frequency known: it holds only if every host runs the same TSC frequency or can scale TSC",
    ]);
  });

  it("ITSC with one frequency: the hosts of unknown frequency are named", () => {
    const r = levelPolicies([{ host: "a", policy: ITSC, facts: { tsc: { khz: 1 } } }, { host: "b", policy: ITSC }, { host: "c", policy: ITSC, facts: {} }], { guest: "hvm" });
    expect(r.warnings).toEqual(["itsc kept, but the TSC frequency of b, c is unknown; migrating there may change the guest's TSC rate"]);
    expect(has(r.policy!, "itsc")).toBe(true);
    const known = levelPolicies([{ host: "a", policy: ITSC, facts: { tsc: { khz: 1 } } }, { host: "b", policy: ITSC, facts: { tsc: { khz: 1 } } }]);
    expect(known.warnings).toEqual([]);
  });

  it("ITSC across frequencies: kept where HVM hosts all scale, removed for PV naming every host", () => {
    const members: LevelMember[] = [
      { host: "a", policy: ITSC, facts: { tsc: { khz: 1, scaling: true } } },
      { host: "b", policy: ITSC, facts: { tsc: { khz: 2, scaling: true } } },
    ];
    const hvm = levelPolicies(members, { guest: "hvm" });
    expect([hvm.warnings, hvm.removed, has(hvm.policy!, "itsc")]).toEqual([[], [], true]);
    const pv = levelPolicies(members, { guest: "pv" });
    expect(pv.warnings).toEqual(["itsc removed: TSC frequencies differ by more than 250 ppm (1 kHz: a; 2 kHz: b) and a, b cannot scale TSC (Xen scales TSC for HVM guests only)"]);
    expect(pv.removed).toEqual([
      { host: "a", features: ["itsc"] },
      { host: "b", features: ["itsc"] },
    ]);
    expect(invariantTscLosers([{ host: "a", facts: { tsc: { khz: 1 } } }, { host: "b", facts: { tsc: { khz: 2, scaling: true } } }], "hvm")).toEqual({
      losers: ["a"],
      warnings: ["itsc removed: TSC frequencies differ by more than 250 ppm (1 kHz: a; 2 kHz: b) and a cannot scale TSC"],
    });
  });

  it("frequencies within the tolerance keep itsc; the removal lists every frequency with its hosts", () => {
    const near = levelPolicies([
      { host: "a", policy: ITSC, facts: { tsc: { khz: 2_100_000 } } },
      { host: "b", policy: ITSC, facts: { tsc: { khz: 2_099_600 } } },
    ]);
    expect([near.warnings, has(near.policy!, "itsc")]).toEqual([[], true]);
    const far = invariantTscLosers([{ host: "a", facts: { tsc: { khz: 2_100_000 } } }, { host: "b", facts: { tsc: { khz: 2_099_000 } } }], "pv");
    expect(far.losers).toEqual(["a", "b"]);
  });

  it("no losers while at most one frequency is known", () => {
    expect(invariantTscLosers([{ host: "a" }, { host: "b" }], "pv").losers).toEqual([]);
    expect(invariantTscLosers([{ host: "a", facts: { tsc: { khz: 1 } } }, { host: "b" }], "pv").losers).toEqual([]);
  });

  it("no TSC rule when the level has no ITSC", () => {
    const r = levelPolicies([{ host: "a", policy: NO_ITSC, facts: { tsc: { khz: 1 } } }, { host: "b", policy: ITSC, facts: { tsc: { khz: 2 } } }]);
    expect(r.warnings).toEqual([]);
  });

  it("LBR formats: only hosts with a known format, each format with its hosts", () => {
    const r = levelPolicies([
      { host: "a", policy: NO_ITSC, facts: { lbrFormat: 5 } },
      { host: "b", policy: NO_ITSC, facts: { lbrFormat: 6 } },
      { host: "c", policy: NO_ITSC },
      { host: "d", policy: NO_ITSC, facts: { lbrFormat: 5 } },
    ]);
    expect(r.warnings).toEqual([
      "LBR formats differ (format 5: a, d; format 6: b); Xen keeps LBR out of the policy, so guests using LBR through vPMU may misread records after migrating",
    ]);
    const one = levelPolicies([{ host: "a", policy: NO_ITSC, facts: { lbrFormat: 5 } }, { host: "c", policy: NO_ITSC }]);
    expect(one.warnings).toEqual([]);
  });

  it("a member whose basic leaves stop below 0xd is named for xsave and everything that needs it", () => {
    const short = tweak((p) => (p.basic[0].eax = 0xb));
    const r = levelPolicies([{ host: "new", policy: ALDER.hvm_max }, { host: "old", policy: short }], { guest: "hvm" });
    expect(has(r.policy!, "xsave")).toBe(false);
    const old = r.removed.find((x) => x.host === "old")!.features;
    expect(old).toEqual(expect.arrayContaining(["xsave", "avx", "avx2", "fma", "xsaveopt"]));
    const lost = featureNames(policyFeatureset(ALDER.hvm_max)).filter((f) => !has(r.policy!, f));
    expect(r.removed.flatMap((x) => x.features).sort()).toEqual(lost.sort());
  });

  it("xsave goes for the members whose own or accepted basic leaves stop below 0xd, whatever their order", () => {
    const short = tweak((p) => (p.basic[0].eax = 0xb));
    const r = levelPolicies(
      [
        { host: "old", policy: short, max: ALDER.hvm_max },
        { host: "new", policy: ALDER.hvm_max },
        { host: "capped", policy: ALDER.hvm_max, max: short },
      ],
      { guest: "hvm" },
    );
    expect(has(r.policy!, "xsave")).toBe(false);
    expect(r.removed.filter((x) => x.features.includes("xsave")).map((x) => x.host)).toEqual(["old", "capped"]);
  });

  it("the features of leaves a member does not reach are not in the level", () => {
    // without itsc and RSBA/RRSBA, no warning applies
    const full = withFeatures(ALDER.hvm_max, [], ["itsc", "rsba", "rrsba"]);
    const short = tweak((p) => (p.basic[0].eax = 6), full);
    const r = levelPolicies([{ host: "new", policy: full }, { host: "old", policy: short }], { guest: "hvm" });
    expect(has(full, "bmi1")).toBe(true);
    expect(has(r.policy!, "bmi1")).toBe(false);
    expect(r.removed.find((x) => x.host === "old")!.features).toContain("bmi1");
    expect(r.warnings).toEqual([]);
  });

  it("a pool-wide hint with requirements is reported when the level has them, and not otherwise", () => {
    const base = withFeatures(ALDER.hvm_max, [], ["itsc", "rsba", "rrsba", "fb-clear"]);
    const hinted = withFeatures(base, ["fb-clear"]);
    const warnings = (without: CpuPolicy) =>
      levelPolicies([
        { host: "a", policy: without, max: without },
        { host: "b", policy: hinted, max: hinted },
      ]).warnings;
    expect(warnings(base)).toEqual(["fb-clear is a pool-wide hint (on at b) but a does not accept it, so the level cannot advertise it"]);
    // fb-clear needs arch-caps: without it in the level there is nothing to drop
    expect(warnings(withFeatures(base, [], ["arch-caps"]))).toEqual([]);
  });

  it("a pool-wide hint a member does not accept", () => {
    const without = withFeatures(ALDER.hvm_default, [], ["md-clear"]);
    expect(levelPolicies([{ host: "a", policy: without, max: without }, { host: "b", policy: ALDER.hvm_default }]).warnings).toEqual([
      "md-clear is a pool-wide hint (on at b) but a does not accept it, so the level cannot advertise it",
    ]);
    const pair = [{ host: "a", policy: without, max: without }, { host: "c", policy: without, max: without }, { host: "b", policy: ALDER.hvm_default }];
    expect(levelPolicies(pair).warnings).toEqual(["md-clear is a pool-wide hint (on at b) but a, c do not accept it, so the level cannot advertise it"]);
  });

  it("RSBA/RRSBA that not every host accepts", () => {
    const base = withFeatures(ALDER.hvm_max, [], ["rsba", "rrsba"]);
    const r = levelPolicies([
      { host: "clean", policy: base, max: base },
      { host: "r", policy: withFeatures(base, ["rrsba"]), max: ALDER.hvm_max },
    ]);
    expect(r.warnings).toContain("rrsba should be advertised (some host has RSBA/RRSBA behaviour) but not every host accepts it");
    expect(r.removed).toEqual([{ host: "clean", features: ["rrsba"] }]);
  });

  it("no RSBA/RRSBA rule when no member has either", () => {
    const base = withFeatures(ALDER.hvm_max, [], ["rsba", "rrsba", "itsc"]);
    const max = withFeatures(ALDER.hvm_max, ["rsba", "rrsba"]);
    const r = levelPolicies([
      { host: "a", policy: base, max },
      { host: "b", policy: base, max },
    ]);
    expect(has(r.policy!, "arch-caps")).toBe(true);
    expect([has(r.policy!, "rsba"), has(r.policy!, "rrsba")]).toEqual([false, false]);
    expect(r.warnings).toEqual([]);
  });

  it("no RSBA/RRSBA rule without ARCH_CAPS in the level", () => {
    const base = withFeatures(ALDER.hvm_max, [], ["rsba", "rrsba", "arch-caps"]);
    const r = levelPolicies([
      { host: "clean", policy: base, max: ALDER.hvm_max },
      { host: "r", policy: withFeatures(base, ["rsba"]), max: ALDER.hvm_max },
    ]);
    expect([has(r.policy!, "rsba"), has(r.policy!, "rrsba")]).toEqual([false, false]);
  });
});

describe("who removed what", () => {
  it("only the members that lack a feature are named, wherever they stand", () => {
    const noVme = withFeatures(ALDER.hvm_max, [], ["vme"]);
    expect(levelPolicies([{ host: "a", policy: ALDER.hvm_max }, { host: "b", policy: noVme }], { guest: "hvm" }).removed).toEqual([{ host: "b", features: ["vme"] }]);
    expect(levelPolicies([{ host: "b", policy: noVme }, { host: "a", policy: ALDER.hvm_max }], { guest: "hvm" }).removed).toEqual([{ host: "b", features: ["vme"] }]);
  });

  it("a feature lost through a dependency goes to the host lacking what it needs", () => {
    const noAvx = withFeatures(ALDER.hvm_max, [], ["avx"]);
    const inconsistent = withFeatures(noAvx, ["avx2"]);
    const r = levelPolicies([
      { host: "a", policy: ALDER.hvm_max },
      { host: "b", policy: inconsistent, max: ALDER.hvm_max },
    ]);
    const b = r.removed.find((x) => x.host === "b")!;
    expect(b.features[0]).toBe("avx");
    expect(b.features).toContain("avx2");
    expect(r.removed.map((x) => x.host)).toEqual(["b"]);
  });

  it("hosts with the same removals get the same list", () => {
    const noAvx2 = withFeatures(ALDER.hvm_max, [], ["avx2"]);
    const lost = ["avx2", "vaes", "vpclmulqdq", "avx-vnni"];
    const r = levelPolicies([
      { host: "a", policy: noAvx2 },
      { host: "b", policy: ALDER.hvm_max },
      { host: "c", policy: copyPolicy(noAvx2) },
    ]);
    expect(r.removed).toEqual([
      { host: "a", features: lost },
      { host: "c", features: lost },
    ]);
  });
});

describe("invariant TSC on one host", () => {
  it("kept at the same frequency, or with HVM scaling; unknown without both frequencies", () => {
    expect(keepsInvariantTsc(1, { tsc: { khz: 1 } }, "pv")).toBe(true);
    expect(keepsInvariantTsc(1, { tsc: { khz: 2, scaling: true } }, "hvm")).toBe(true);
    expect(keepsInvariantTsc(1, { tsc: { khz: 2, scaling: true } }, "pv")).toBe(false);
    expect(keepsInvariantTsc(1, { tsc: { khz: 2 } }, "hvm")).toBe(false);
    expect(keepsInvariantTsc(undefined, { tsc: { khz: 2 } }, "hvm")).toBeUndefined();
    expect(keepsInvariantTsc(1, undefined, "hvm")).toBeUndefined();
    expect(keepsInvariantTsc(1, {}, "hvm")).toBeUndefined();
  });

  it("treats frequencies within 250 ppm as one rate: a calibrated 2099.475 MHz runs a guest started at a nominal 2100 MHz", () => {
    expect(keepsInvariantTsc(2_100_000, { tsc: { khz: 2_099_475 } }, "pv")).toBe(true);
    expect(keepsInvariantTsc(2_100_000, { tsc: { khz: 2_099_474 } }, "pv")).toBe(false);
    expect(sameTscRate(2_100_000, 2_099_800, 2_099_600)).toBe(true);
    expect(sameTscRate(2_100_000, 2_099_800, 2_099_400)).toBe(false);
  });

  it("the tsc-incompatible finding says how the host falls short", () => {
    const fit = (opts: { guest?: "pv" | "hvm"; scaling?: boolean }) =>
      policyFits(ITSC, ALDER.hvm_max, { guest: opts.guest, from: { facts: { tsc: { khz: 1 } } }, to: { facts: { tsc: { khz: 2, scaling: opts.scaling } } } }).findings.map((f) => f.message);
    expect(fit({ guest: "hvm" })).toEqual(["itsc (CPUID 0x80000007.edx[8]) promises a constant TSC rate, but the guest runs at 1 kHz and this host at 2 kHz (more than 250 ppm apart) without TSC scaling"]);
    expect(fit({ scaling: true })).toEqual([
      "itsc (CPUID 0x80000007.edx[8]) promises a constant TSC rate, but the guest runs at 1 kHz and this host at 2 kHz (more than 250 ppm apart) without a way to scale TSC for PV guests",
    ]);
    expect(policyFits(NO_ITSC, ALDER.hvm_max, { from: { facts: { tsc: { khz: 1 } } }, to: { facts: { tsc: { khz: 2 } } } }).fits).toBe(true);
    expect(policyFits(ITSC, ALDER.hvm_max, { from: { facts: { tsc: { khz: 1 } } } }).fits).toBe(true);
  });
});

describe("the invariant-TSC rule for a move (invariantTscCheck)", () => {
  const ICE_LAKE = { host: "icl-1", facts: { tsc: { khz: 2_400_000 } } };
  const ITSC_BIT = "itsc (CPUID 0x80000007.edx[8])";

  it("refuses a destination at another rate that cannot scale, naming both hosts and rates", () => {
    const spr = { host: "spr-1", facts: { tsc: { khz: 2_592_000 } } };
    expect(invariantTscCheck(ITSC, ICE_LAKE, spr, "hvm")).toEqual({
      finding: expect.objectContaining({
        code: "tsc-incompatible",
        features: ["itsc"],
        leaf: 0x80000007,
        register: "edx",
        message: `${ITSC_BIT} promises a constant TSC rate, but the guest runs at 2400000 kHz on host icl-1 and host spr-1 at 2592000 kHz (more than 250 ppm apart) without TSC scaling`,
      }),
    });
    // the rule is the guest's rate against the destination's, whichever is faster
    expect(invariantTscCheck(ITSC, spr, ICE_LAKE, "hvm").finding?.message).toContain("the guest runs at 2592000 kHz on host spr-1 and host icl-1 at 2400000 kHz");
  });

  it("lets a guest go to a host at the same rate (within 250 ppm), or, for HVM, to one that scales TSC", () => {
    expect(invariantTscCheck(ITSC, ICE_LAKE, { host: "icl-2", facts: { tsc: { khz: 2_400_000 } } }, "hvm")).toEqual({});
    expect(invariantTscCheck(ITSC, ICE_LAKE, { host: "icl-3", facts: { tsc: { khz: 2_399_500 } } }, "pv")).toEqual({});
    const scaling = { host: "genoa-1", facts: { tsc: { khz: 3_000_000, scaling: true } } };
    expect(invariantTscCheck(ITSC, ICE_LAKE, scaling, "hvm")).toEqual({});
    expect(invariantTscCheck(ITSC, ICE_LAKE, scaling, "pv").finding?.message).toBe(
      `${ITSC_BIT} promises a constant TSC rate, but the guest runs at 2400000 kHz on host icl-1 and host genoa-1 at 3000000 kHz (more than 250 ppm apart) without a way to scale TSC for PV guests`,
    );
  });

  it("an unknown frequency refuses nothing, as in a pool, and the warning names whose is unknown", () => {
    const unknown = { host: "hsw-1", facts: { tsc: {} } };
    const warning = (who: string) =>
      `${ITSC_BIT} promises a constant TSC rate, but the TSC frequency of ${who} is unknown: not refused (pools admit such hosts too), though the guest's TSC rate may change`;
    expect(invariantTscCheck(ITSC, ICE_LAKE, unknown, "hvm")).toEqual({ warning: warning("host hsw-1") });
    expect(invariantTscCheck(ITSC, unknown, ICE_LAKE, "hvm")).toEqual({ warning: warning("host hsw-1") });
    expect(invariantTscCheck(ITSC, { host: "gone" }, unknown, "hvm")).toEqual({ warning: warning("host gone and host hsw-1") });
    expect(invariantTscCheck(ITSC, {}, {}, "hvm")).toEqual({ warning: warning("the guest's host and this host") });
    // facts without any TSC entry read as unknown too
    expect(invariantTscCheck(ITSC, { host: "a", facts: {} }, { host: "b", facts: {} }, "hvm")).toEqual({ warning: warning("host a and host b") });
    expect(breaksInvariantTsc({ host: "a", facts: {} }, ICE_LAKE, "hvm")).toBe(false);
  });

  it("says nothing for a policy without itsc", () => {
    expect(invariantTscCheck(NO_ITSC, ICE_LAKE, { host: "spr-1", facts: { tsc: { khz: 2_592_000 } } }, "hvm")).toEqual({});
    expect(invariantTscCheck(NO_ITSC, ICE_LAKE, { host: "hsw-1" }, "hvm")).toEqual({});
  });

  it("policyFits adds the finding to the audit's and keeps the warning apart", () => {
    const refused = policyFits(ITSC, ALDER.hvm_max, { guest: "hvm", from: ICE_LAKE, to: { host: "spr-1", facts: { tsc: { khz: 2_592_000 } } } });
    expect(refused.fits).toBe(false);
    expect(refused.findings.map((f) => f.code)).toEqual(["tsc-incompatible"]);
    const unknown = policyFits(ITSC, ALDER.hvm_max, { guest: "hvm", from: ICE_LAKE, to: { host: "hsw-1" } });
    expect(unknown).toMatchObject({ fits: true, findings: [] });
    expect(unknown.warnings).toHaveLength(1);
    expect(policyFits(ITSC, ALDER.hvm_max, { guest: "hvm", from: ICE_LAKE, to: { host: "icl-2", facts: { tsc: { khz: 2_400_000 } } } })).toEqual({ fits: true, findings: [], warnings: [] });
  });

  it("acceptingHosts judges each host with the caller's options and the host's own facts", () => {
    const hosts = [
      { host: "icl-2", max: ALDER.hvm_max, facts: { tsc: { khz: 2_400_000 } } },
      { host: "spr-1", max: ALDER.hvm_max, facts: { tsc: { khz: 2_592_000 } } },
    ];
    const r = acceptingHosts(ITSC, hosts, { guest: "hvm", from: ICE_LAKE });
    expect(r.accepting).toEqual(["icl-2"]);
    expect(r.rejecting.map((x) => [x.host, x.findings.map((f) => f.code)])).toEqual([["spr-1", ["tsc-incompatible"]]]);
  });
});
