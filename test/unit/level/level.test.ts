import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditPolicy } from "../../../shared/audit/audit.ts";
import { featureByName } from "../../../shared/featureset/features.ts";
import { featureNames, hasFeature } from "../../../shared/featureset/featureset.ts";
import { acceptingHosts, policyFits } from "../../../shared/level/compat.ts";
import { levelPolicies, type LevelMember } from "../../../shared/level/level.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { xenPolicies } from "../derive/support.ts";
import { derivedHosts, withFeatures } from "../audit/support.ts";

const RUNS = { seed: 42, numRuns: 60 };
const ALDER = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");
const IVY = xenPolicies("xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt");

const has = (p: CpuPolicy, name: string) => hasFeature(policyFeatureset(p), featureByName(name)!);

describe("levelPolicies", () => {
  it("a pool of one is the host itself", () => {
    const r = levelPolicies([{ host: "a", policy: ALDER.hvm_max }], { guest: "hvm" });
    expect(r.errors).toEqual([]);
    expect(featureNames(policyFeatureset(r.policy!))).toEqual(featureNames(policyFeatureset(ALDER.hvm_max)));
    expect(r.removed).toEqual([]);
  });

  it("ANDs features, takes the smallest max leaves and says who removed what", () => {
    const r = levelPolicies([
      { host: "alder", policy: ALDER.pv_max },
      { host: "ivy", policy: IVY.pv_max },
    ], { guest: "pv" });
    expect(r.errors).toEqual([]);
    const level = r.policy!;
    expect(has(level, "avx2")).toBe(false);
    expect(has(level, "avx")).toBe(true);
    expect(level.feat[0].eax).toBe(0); // Ivy Bridge's Xen 4.15 max has leaf 7 max subleaf 0
    const ivy = r.removed.find((x) => x.host === "ivy")!;
    expect(ivy.features).toEqual(expect.arrayContaining(["avx2", "bmi2", "arch-caps", "rsba"]));
    expect(r.removed.find((x) => x.host === "alder")).toBeUndefined();
    for (const m of [ALDER.pv_max, IVY.pv_max]) expect(auditPolicy(level, m, { guest: "pv" })).toEqual([]);
  });

  it("refuses mixed vendors, listing the hosts of each", () => {
    const amd = copyPolicy(ALDER.hvm_max);
    amd.basic[0].ebx = 0x68747541;
    amd.basic[0].edx = 0x69746e65;
    amd.basic[0].ecx = 0x444d4163;
    const r = levelPolicies([
      { host: "a", policy: ALDER.hvm_max },
      { host: "b", policy: amd },
      { host: "c", policy: ALDER.hvm_max },
    ]);
    expect(r.policy).toBeNull();
    expect(r.errors).toEqual([expect.stringMatching(/intel \("GenuineIntel"\): a, c; amd \("AuthenticAMD"\): b/)]);
    expect(levelPolicies([]).errors).toEqual(["no hosts to level"]);
  });

  it("checks each member's max vendor even when another member's max is otherwise identical", () => {
    const amdMax = copyPolicy(ALDER.hvm_max);
    amdMax.basic[0].ebx = 0x68747541;
    amdMax.basic[0].edx = 0x69746e65;
    amdMax.basic[0].ecx = 0x444d4163;
    const alone = levelPolicies([{ host: "h2", policy: ALDER.hvm_max, max: amdMax }], { guest: "hvm" });
    expect(alone.errors).toEqual([expect.stringMatching(/does not fit host h2: .*vendor/)]);
    const r = levelPolicies([
      { host: "h1", policy: ALDER.hvm_max },
      { host: "h2", policy: ALDER.hvm_max, max: amdMax },
    ], { guest: "hvm" });
    expect(r.errors).toEqual([expect.stringMatching(/does not fit host h2: .*vendor/)]);
  });

  it("refuses an empty policy (Xen offers no such guests)", () => {
    const vbox = xenPolicies("xen-cpuid-p_core-i7-1185g7_tigerlake_nested-in-virtualbox.txt");
    const r = levelPolicies([{ host: "a", policy: ALDER.hvm_max }, { host: "vbox", policy: vbox.hvm_max }]);
    expect(r.errors).toEqual(["host vbox has an empty policy: Xen offers no such guests there"]);
  });

  it('ORs "|" pool hints that every member accepts', () => {
    const without = withFeatures(ALDER.hvm_default, [], ["md-clear"]);
    const r = levelPolicies([
      { host: "a", policy: without, max: ALDER.hvm_max },
      { host: "b", policy: ALDER.hvm_default, max: ALDER.hvm_max },
    ]);
    expect(has(r.policy!, "md-clear")).toBe(true);
    const strict = levelPolicies([
      { host: "a", policy: without, max: without },
      { host: "b", policy: ALDER.hvm_default },
    ]);
    expect(has(strict.policy!, "md-clear")).toBe(false);
    expect(strict.warnings.join()).toMatch(/md-clear is a pool-wide hint .* but a does not accept it/);
  });

  it("keeps RSBA/RRSBA when any member has it: RRSBA with eIBRS, else RSBA", () => {
    const base = withFeatures(ALDER.hvm_max, [], ["rsba", "rrsba"]);
    const suffers = withFeatures(base, ["rrsba"]);
    const eibrs = levelPolicies([
      { host: "clean", policy: base, max: ALDER.hvm_max },
      { host: "rrsba", policy: suffers, max: ALDER.hvm_max },
    ]);
    expect([has(eibrs.policy!, "rrsba"), has(eibrs.policy!, "rsba")]).toEqual([true, false]);
    const noEibrs = levelPolicies([
      { host: "clean", policy: withFeatures(base, [], ["eibrs"]), max: ALDER.hvm_max },
      { host: "rrsba", policy: suffers, max: ALDER.hvm_max },
    ]);
    expect([has(noEibrs.policy!, "rrsba"), has(noEibrs.policy!, "rsba")]).toEqual([false, true]);
  });

  it("drops ITSC when TSC frequencies differ and a host cannot scale", () => {
    const itsc = withFeatures(ALDER.hvm_max, ["itsc"]);
    const members = (scaling: boolean): LevelMember[] => [
      { host: "a", policy: itsc, facts: { tsc: { khz: 2_400_000, scaling } } },
      { host: "b", policy: itsc, facts: { tsc: { khz: 3_000_000, scaling: true } } },
    ];
    const dropped = levelPolicies(members(false), { guest: "hvm" });
    expect(has(dropped.policy!, "itsc")).toBe(false);
    expect(dropped.removed).toEqual([{ host: "a", features: ["itsc"] }]);
    expect(dropped.warnings.join()).toMatch(/2400000 kHz: a; 3000000 kHz: b/);
    expect(has(levelPolicies(members(true), { guest: "hvm" }).policy!, "itsc")).toBe(true);
    expect(has(levelPolicies(members(true), { guest: "pv" }).policy!, "itsc")).toBe(false);
  });

  it("warns when LBR formats differ", () => {
    const r = levelPolicies([
      { host: "a", policy: ALDER.hvm_max, facts: { lbrFormat: 5 } },
      { host: "b", policy: ALDER.hvm_max, facts: { lbrFormat: 6 } },
    ]);
    expect(r.warnings.join()).toMatch(/LBR formats differ/);
  });

  it("property: a level of any same-vendor subset of fixture hosts audits clean against every member's max", () => {
    const byVendor = new Map<string, { name: string; pv: CpuPolicy; hvm: CpuPolicy }[]>();
    for (const h of derivedHosts()) {
      const list = byVendor.get(h.vendor) ?? [];
      list.push({ name: h.name, pv: h.policies.pv_max, hvm: h.policies.hvm_max });
      byVendor.set(h.vendor, list);
    }
    const groups = [...byVendor.values()];
    fc.assert(
      fc.property(
        fc.constantFrom(...groups).chain((g) => fc.subarray(g, { minLength: 1 })),
        fc.constantFrom("pv" as const, "hvm" as const),
        (hosts, guest) => {
          const members = hosts.filter((h) => h[guest].basic[0].ebx !== 0).map((h) => ({ host: h.name, policy: h[guest] }));
          if (members.length === 0) return;
          const r = levelPolicies(members, { guest });
          expect(r.errors).toEqual([]);
          for (const m of members) expect(auditPolicy(r.policy!, m.policy, { guest })).toEqual([]);
        },
      ),
      RUNS,
    );
  });
});

describe("levelPolicies over classes of identical hosts", () => {
  const hosts = derivedHosts().flatMap((h) =>
    (["pv", "hvm"] as const).map((guest) => ({ vendor: h.vendor, guest, name: h.name, max: h.policies[`${guest}_max`] })),
  );
  const pools = [...Map.groupBy(hosts, (h) => `${h.vendor} ${h.guest}`).values()];
  const facts = fc.option(
    fc.record({
      tsc: fc.option(fc.record({ khz: fc.option(fc.constantFrom(2_400_000, 3_000_000), { nil: undefined }), scaling: fc.option(fc.boolean(), { nil: undefined }) }), { nil: undefined }),
      lbrFormat: fc.option(fc.constantFrom(5, 6), { nil: undefined }),
    }),
    { nil: undefined },
  );

  it("property: keyed members (levelled once per class) give exactly the result of levelling every host on its own", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...pools).chain((pool) => fc.array(fc.tuple(fc.constantFrom(...pool), facts), { minLength: 1, maxLength: 40 })),
        (picked) => {
          const guest = picked[0][0].guest;
          const alone: LevelMember[] = picked.map(([h, f], i) => ({ host: `${h.name}-${i}`, policy: copyPolicy(h.max), facts: f }));
          const keyed: LevelMember[] = picked.map(([h, f], i) => ({ host: `${h.name}-${i}`, policy: h.max, facts: f, key: policyHash(h.max) }));
          expect(levelPolicies(keyed, { guest })).toEqual(levelPolicies(alone, { guest }));
        },
      ),
      RUNS,
    );
  });

  it("levels hosts with the same key but different TSC facts apart", () => {
    const itsc = withFeatures(ALDER.hvm_max, ["itsc"]);
    const key = policyHash(itsc);
    const r = levelPolicies(
      [
        { host: "a", policy: itsc, key, facts: { tsc: { khz: 2_400_000 } } },
        { host: "b", policy: itsc, key, facts: { tsc: { khz: 3_000_000 } } },
        { host: "c", policy: itsc, key, facts: { tsc: { khz: 2_400_000 } } },
      ],
      { guest: "hvm" },
    );
    expect(has(r.policy!, "itsc")).toBe(false);
    expect(r.removed.map((x) => x.host)).toEqual(["a", "b", "c"]);
    expect(r.warnings.join()).toMatch(/2400000 kHz: a, c; 3000000 kHz: b/);
  });
});

describe("policyFits / acceptingHosts", () => {
  it("lists the hosts that accept a policy, with per-host findings for the others", () => {
    const hosts = [
      { host: "alder", max: ALDER.hvm_max },
      { host: "ivy", max: IVY.hvm_max },
    ];
    const r = acceptingHosts(ALDER.hvm_default, hosts, { guest: "hvm" });
    expect(r.accepting).toEqual(["alder"]);
    expect(r.rejecting.map((x) => x.host)).toEqual(["ivy"]);
    expect(r.rejecting[0].findings.map((x) => x.features[0])).toContain("avx2");
    expect(acceptingHosts(IVY.hvm_default, hosts, { guest: "hvm" }).accepting).toEqual(["alder", "ivy"]);
  });

  it("ITSC fits only where the TSC frequency matches or can be scaled", () => {
    const p = withFeatures(ALDER.hvm_default, ["itsc"]);
    const fit = (khz: number, scaling: boolean, guest: "pv" | "hvm") =>
      policyFits(p, ALDER.hvm_max, { guest, tscKhz: 2_400_000, facts: { tsc: { khz, scaling } } });
    expect(fit(2_400_000, false, "hvm").fits).toBe(true);
    expect(fit(3_000_000, true, "hvm").fits).toBe(true);
    const bad = fit(3_000_000, false, "hvm");
    expect(bad.fits).toBe(false);
    expect(bad.findings).toEqual([expect.objectContaining({ code: "tsc-incompatible", features: ["itsc"] })]);
    expect(fit(3_000_000, true, "pv").fits).toBe(false);
  });
});
