import { beforeAll, describe, expect, it } from "vitest";
import { evaluateDomainPolicy, policyRequestOf, type AuditedEvaluation } from "../../../shared/domain-policy/evaluate.ts";
import { decodeHostPolicies, type HostRecord } from "../../../shared/hosts/host-record.ts";
import { DomainCpuidPolicySpec } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "./host-fixture.ts";
import { poolBaseline, type PoolBaseline } from "../../../shared/domain-policy/pool-baseline.ts";
import { LEVEL_ANNOTATION, toStoredLevel } from "../../../shared/pool/level-annotation.ts";
import { levelHosts } from "../../../shared/pool/pool-members.ts";
import type { CpuidPoolObject } from "../../../shared/api/v1alpha1/cpuid-pool.ts";
import { featureNames, parseFeatureset } from "../../../shared/featureset/featureset.ts";

let haswell: HostRecord;
let sapphire: HostRecord;
let sapphirePublished: HostPolicies;
beforeAll(async () => {
  haswell = decodeHostPolicies(await hostPoliciesFrom("h1", HASWELL));
  sapphirePublished = await hostPoliciesFrom("h1", SAPPHIRE_RAPIDS);
  sapphire = decodeHostPolicies(sapphirePublished);
});

const spec = (s: Record<string, unknown>) => DomainCpuidPolicySpec.parse({ host: "h1", domain: "vm1", guestType: "hvm", ...s });
const audited = (e: ReturnType<typeof evaluateDomainPolicy>) => {
  expect(e.kind).toBe("audited");
  return e as AuditedEvaluation;
};

describe("policyRequestOf", () => {
  it("is a request by features, a full policy, or none for baseline pool (built from the pool's level)", () => {
    expect(policyRequestOf(spec({ baseline: "max", disable: ["rdrand"] }))).toEqual({ kind: "features", baseline: "max", enable: [], disable: ["rdrand"] });
    expect(policyRequestOf(spec({ policy: { leaves: [], msrs: [] } }))).toEqual({ kind: "policy", policy: { leaves: [], msrs: [] } });
    expect(policyRequestOf(spec({ baseline: "pool", pool: "p1" }))).toBeUndefined();
  });
});

describe("evaluateDomainPolicy", () => {
  it("the host default is clean, has the default's hash, and adds or removes nothing", () => {
    const e = audited(evaluateDomainPolicy(spec({}), haswell));
    expect(e.findings).toEqual([]);
    expect(e.policyHash).toBe(haswell.published.hashes.hvm_default);
    expect(e.featureset).toBe(haswell.published.summaries.hvm_default.featureset);
    expect([e.added, e.removed]).toEqual([[], []]);
    expect(e.maxHash).toBe(haswell.published.hashes.hvm_max);
  });

  it("disabling a feature lists it (and what depends on it) as removed, and stays clean", () => {
    const e = audited(evaluateDomainPolicy(spec({ disable: ["avx2"] }), haswell));
    expect(e.findings).toEqual([]);
    expect(e.removed).toContain("avx2");
    expect(e.policyHash).not.toBe(haswell.published.hashes.hvm_default);
  });

  it("a full policy that breaks Xen's rules is an invalid policy, not a crash", () => {
    const broken = spec({ policy: { leaves: [], msrs: [{ index: "000000ce", flags: "00000001", value: "0000000000000000" }] } });
    expect(evaluateDomainPolicy(broken, haswell)).toEqual({ kind: "invalid-policy", message: "spec.policy: MSR 0x000000ce has flags 1, must be 0" });
  });

  it("a request by features has no duplicate-leaf warnings", () => {
    expect(audited(evaluateDomainPolicy(spec({ disable: ["rdrand"] }), haswell)).warnings).toEqual([]);
  });

  it("a finding says why Xen never offers a feature to the spec's guest type", () => {
    const message = (guestType: string) => audited(evaluateDomainPolicy(spec({ guestType, enable: ["monitor"] }), haswell)).findings.map((f) => f.message);
    expect(message("hvm")).toEqual(['monitor (CPUID 0x00000001.ecx[3]) is requested but Xen never offers it to HVM (HAP) guests (annotation "none")']);
    expect(message("pv")).toEqual(['monitor (CPUID 0x00000001.ecx[3]) is requested but Xen never offers it to PV guests (annotation "none")']);
  });

  it("enabling a feature the host's max lacks fails with a finding naming it", () => {
    const e = audited(evaluateDomainPolicy(spec({ enable: ["avx512f"] }), haswell));
    const f = e.findings.find((x) => x.code === "feature-not-in-max");
    expect(f?.features).toContain("avx512f");
    expect(e.added).toContain("avx512f");
    expect(audited(evaluateDomainPolicy(spec({ enable: ["avx512f"] }), sapphire)).findings).toEqual([]);
  });

  it("a policy that fits a bigger host fails on a smaller one (what HostPolicyChanged reports)", () => {
    const onSapphire = audited(evaluateDomainPolicy(spec({}), sapphire));
    const view = sapphirePublished.policies.hvm_default;
    const full = spec({ policy: { leaves: view.leaves, msrs: view.msrs } });
    const onHaswell = audited(evaluateDomainPolicy(full, haswell));
    expect(onHaswell.policyHash).toBe(onSapphire.policyHash);
    expect(onHaswell.findings.length).toBeGreaterThan(0);
  });

  it("a full policy repeating a leaf is merged as Xen does (the last wins) and warned about", () => {
    const view = sapphirePublished.policies.hvm_default;
    const e = audited(evaluateDomainPolicy(spec({ policy: { leaves: [...view.leaves, view.leaves[1]], msrs: view.msrs } }), sapphire));
    expect(e.policyHash).toBe(sapphire.published.hashes.hvm_default);
    expect(e.warnings).toEqual([`leaf 0x00000001 is given more than once (records 2 and ${view.leaves.length + 1}); the last one wins`]);
    expect(audited(evaluateDomainPolicy(spec({ policy: { leaves: view.leaves, msrs: view.msrs } }), sapphire)).warnings).toEqual([]);
  });

});

describe("evaluateDomainPolicy, baseline pool", () => {
  let pool: PoolBaseline;
  let annotation: string;
  beforeAll(() => {
    const levelled = levelHosts(
      [
        { host: "h-hsw", max: haswell.guest.hvm_max },
        { host: "h-spr", max: sapphire.guest.hvm_max },
      ],
      "hvm",
    );
    const level = levelled.level!;
    annotation = JSON.stringify(toStoredLevel(level, "hvm"));
    const object: CpuidPoolObject = {
      apiVersion: "cpuidfleet.io/v1alpha1",
      kind: "CpuidPool",
      metadata: { name: "p1", annotations: { [LEVEL_ANNOTATION]: annotation } },
      spec: { hostSelector: {}, guestType: "hvm" },
      status: { members: ["h-hsw", "h-spr"] },
    };
    pool = poolBaseline("p1", object);
  });
  const onPool = (s: Record<string, unknown>) => spec({ baseline: "pool", pool: "p1", ...s });

  it("is the pool's level on every member, whatever the host: one hash, clean on both", () => {
    expect(pool).toMatchObject({ kind: "level", guestType: "hvm", members: ["h-hsw", "h-spr"] });
    const level = pool as Extract<PoolBaseline, { kind: "level" }>;
    const a = audited(evaluateDomainPolicy(onPool({}), haswell, pool));
    const b = audited(evaluateDomainPolicy(onPool({}), sapphire, pool));
    expect(a.policyHash).toBe(level.hash);
    expect(b.policyHash).toBe(a.policyHash);
    expect([a.findings, b.findings]).toEqual([[], []]);
    expect(a.pool).toEqual({ name: "p1", levelHash: level.hash });
    // the strongest member's extras are not in the level
    expect(featureNames(parseFeatureset(b.featureset))).not.toContain("avx512f");
  });

  it("disable takes a feature off on every member alike; an enable beyond the level is a finding naming the pool, even where the host has it", () => {
    const a = audited(evaluateDomainPolicy(onPool({ disable: ["avx2"] }), haswell, pool));
    const b = audited(evaluateDomainPolicy(onPool({ disable: ["avx2"] }), sapphire, pool));
    expect(a.policyHash).toBe(b.policyHash);
    expect(a.findings).toEqual([]);
    const beyond = audited(evaluateDomainPolicy(onPool({ enable: ["avx512f"] }), sapphire, pool));
    const levelFinding = beyond.findings.find((f) => f.message.startsWith("beyond the level of CpuidPool p1"));
    expect(levelFinding).toMatchObject({ code: "feature-not-in-max", features: expect.arrayContaining(["avx512f"]) });
    // sapphire rapids' own max has avx512f: only the level refuses the feature (leaf 0xd, built from the level, lacks its state)
    const onHost = beyond.findings.filter((f) => !f.message.startsWith("beyond the level of CpuidPool p1"));
    expect(onHost.map((f) => f.code)).not.toContain("feature-not-in-max");
  });

  it("a pool whose stored level is for the other guest type waits for a relevel; one without a status has no members", () => {
    const levelled = (guestType: "hvm" | "pv", status?: CpuidPoolObject["status"]): CpuidPoolObject => ({
      apiVersion: "cpuidfleet.io/v1alpha1",
      kind: "CpuidPool",
      metadata: { name: "p1", annotations: { [LEVEL_ANNOTATION]: annotation } },
      spec: { hostSelector: {}, guestType },
      ...(status ? { status } : {}),
    });
    expect(poolBaseline("p1", levelled("pv", { members: ["h-hsw"] }))).toEqual({
      kind: "unavailable",
      pool: "p1",
      reason: "PoolNotReady",
      message: "CpuidPool p1's level is for hvm guests but its spec.guestType is pv: it waits for a relevel",
    });
    expect(poolBaseline("p1", levelled("hvm"))).toMatchObject({ kind: "level", pool: "p1", guestType: "hvm", members: [] });
  });

  it("carries no warnings, and its findings say why Xen never offers a feature to the guest type, for the level and the host alike", () => {
    const e = audited(evaluateDomainPolicy(onPool({ enable: ["monitor"] }), haswell, pool));
    expect(e.warnings).toEqual([]);
    const level = (pool as Extract<PoolBaseline, { kind: "level" }>).hash;
    const why = 'monitor (CPUID 0x00000001.ecx[3]) is requested but Xen never offers it to HVM (HAP) guests (annotation "none")';
    expect(e.findings.map((f) => f.message)).toEqual([`beyond the level of CpuidPool p1 (${level}): ${why}`, why]);
  });

  it("a missing pool, one without a level, or one for the other guest type is reported, not built", () => {
    expect(evaluateDomainPolicy(onPool({}), haswell, poolBaseline("p1", undefined))).toEqual({ kind: "pool-unavailable", reason: "PoolNotFound", message: "CpuidPool p1 does not exist" });
    const bare: CpuidPoolObject = { apiVersion: "cpuidfleet.io/v1alpha1", kind: "CpuidPool", metadata: { name: "p1" }, spec: { hostSelector: {}, guestType: "hvm" } };
    expect(evaluateDomainPolicy(onPool({}), haswell, poolBaseline("p1", bare))).toEqual({
      kind: "pool-unavailable",
      reason: "PoolNotReady",
      message: "CpuidPool p1 has no level yet (it has no members, or the controller has not levelled it)",
    });
    const damaged = { ...bare, metadata: { name: "p1", annotations: { [LEVEL_ANNOTATION]: "{" } } };
    expect(evaluateDomainPolicy(onPool({}), haswell, poolBaseline("p1", damaged))).toMatchObject({ kind: "pool-unavailable", reason: "PoolNotReady", message: expect.stringContaining("not JSON") });
    expect(evaluateDomainPolicy(onPool({ guestType: "pv" }), haswell, pool)).toEqual({
      kind: "pool-unavailable",
      reason: "PoolGuestTypeMismatch",
      message: "CpuidPool p1 is levelled for hvm guests and this policy is for pv guests",
    });
    expect(evaluateDomainPolicy(onPool({}), haswell)).toEqual({ kind: "pool-unavailable", reason: "PoolNotReady", message: "CpuidPool p1 has not been read yet" });
  });
});

describe("decodeHostPolicies", () => {
  it("shares identical guest policies between hosts, keyed by the hash it computes", async () => {
    const other = decodeHostPolicies(await hostPoliciesFrom("h2", HASWELL));
    expect(other.guest.hvm_max).toBe(haswell.guest.hvm_max);
    expect(other.guestHashes.hvm_max).toBe(haswell.published.hashes.hvm_max);
  });

  it("ignores the hash a host claims: a forged hash cannot borrow another host's policy", async () => {
    const forged = await hostPoliciesFrom("h3", HASWELL);
    forged.hashes.hvm_max = sapphire.guestHashes.hvm_max;
    const record = decodeHostPolicies(forged);
    expect(record.guest.hvm_max).toBe(haswell.guest.hvm_max);
    expect(record.guestHashes.hvm_max).toBe(haswell.guestHashes.hvm_max);
  });
});
