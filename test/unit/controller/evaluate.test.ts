import { beforeAll, describe, expect, it } from "vitest";
import { evaluateDomainPolicy, type AuditedEvaluation } from "../../../controller/domain-policy/evaluate.ts";
import { decodeHostPolicies, type HostRecord } from "../../../controller/hosts/host-record.ts";
import { DomainCpuidPolicySpec } from "../../../shared/schemas/domain-cpuid-policy.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "./host-fixture.ts";

let haswell: HostRecord;
let sapphire: HostRecord;
beforeAll(async () => {
  haswell = decodeHostPolicies(await hostPoliciesFrom("h1", HASWELL));
  sapphire = decodeHostPolicies(await hostPoliciesFrom("h1", SAPPHIRE_RAPIDS));
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
    expect(e.featureset).toBe(haswell.published.policies.hvm_default.featureset);
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
    const view = sapphire.published.policies.hvm_default;
    const full = spec({ policy: { leaves: view.leaves, msrs: view.msrs } });
    const onHaswell = audited(evaluateDomainPolicy(full, haswell));
    expect(onHaswell.policyHash).toBe(onSapphire.policyHash);
    expect(onHaswell.findings.length).toBeGreaterThan(0);
  });

  it("baseline pool is reported as not supported yet", () => {
    expect(evaluateDomainPolicy(spec({ baseline: "pool", pool: "p1" }), haswell)).toMatchObject({ kind: "pool-unsupported" });
  });
});
