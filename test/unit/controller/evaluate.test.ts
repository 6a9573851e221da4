import { beforeAll, describe, expect, it } from "vitest";
import { evaluateDomainPolicy, type AuditedEvaluation } from "../../../shared/domain-policy/evaluate.ts";
import { decodeHostPolicies, type HostRecord } from "../../../shared/hosts/host-record.ts";
import { DomainCpuidPolicySpec } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "./host-fixture.ts";

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

  it("baseline pool is reported as not supported yet", () => {
    expect(evaluateDomainPolicy(spec({ baseline: "pool", pool: "p1" }), haswell)).toMatchObject({ kind: "pool-unsupported" });
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
