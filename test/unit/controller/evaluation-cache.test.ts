import { beforeAll, describe, expect, it } from "vitest";
import { evaluateDomainPolicy } from "../../../shared/domain-policy/evaluate.ts";
import { EvaluationCache } from "../../../controller/domain-policy/evaluation-cache.ts";
import { decodeHostPolicies, type HostRecord } from "../../../shared/hosts/host-record.ts";
import { DomainCpuidPolicySpec } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { policyToJson } from "../../../shared/policy/policy-json.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import { guestDefault } from "../../../shared/request/build-request.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "./host-fixture.ts";

let haswell: HostRecord;
let haswellTwin: HostRecord;
let sapphire: HostRecord;
beforeAll(async () => {
  haswell = decodeHostPolicies(await hostPoliciesFrom("h1", HASWELL));
  haswellTwin = decodeHostPolicies(await hostPoliciesFrom("h2", HASWELL));
  sapphire = decodeHostPolicies(await hostPoliciesFrom("h3", SAPPHIRE_RAPIDS));
});

const spec = (s: Record<string, unknown>) => DomainCpuidPolicySpec.parse({ host: "h1", domain: "vm1", guestType: "hvm", ...s });

describe("EvaluationCache", () => {
  it("gives what evaluateDomainPolicy gives, for every host, guest type and request", () => {
    const cache = new EvaluationCache();
    const specs = [spec({}), spec({ guestType: "pv" }), spec({ disable: ["rdrand"] }), spec({ enable: ["avx512f"] }), spec({ baseline: "max" }), spec({ baseline: "pool", pool: "p" })];
    for (const host of [haswell, sapphire, haswellTwin]) {
      for (const s of specs) expect(cache.evaluate(s, host)).toEqual(evaluateDomainPolicy(s, host));
    }
  });

  it("shares one evaluation between hosts with the same policies and between domains with the same request", () => {
    const cache = new EvaluationCache();
    const first = cache.evaluate(spec({ disable: ["rdrand"] }), haswell);
    expect(cache.evaluate(spec({ domain: "vm2", disable: ["rdrand"] }), haswellTwin)).toBe(first);
    expect(cache.evaluate(spec({ disable: ["rdrand"] }), sapphire)).not.toBe(first);
    expect(cache.evaluate(spec({ disable: ["rdrand", "avx2"] }), haswell)).not.toBe(first);
    expect(cache.evaluate(spec({ guestType: "pv", disable: ["rdrand"] }), haswell)).not.toBe(first);
  });

  it("forgets the least recently used evaluation beyond its capacity", () => {
    const cache = new EvaluationCache(2);
    const a = cache.evaluate(spec({}), haswell);
    const b = cache.evaluate(spec({ disable: ["rdrand"] }), haswell);
    expect(cache.evaluate(spec({}), haswell)).toBe(a);
    cache.evaluate(spec({ disable: ["avx2"] }), haswell);
    expect(cache.evaluate(spec({}), haswell)).toBe(a);
    expect(cache.evaluate(spec({ disable: ["rdrand"] }), haswell)).not.toBe(b);
  });

  it("makes the wire form of a requested policy once", () => {
    const cache = new EvaluationCache();
    const e = cache.evaluate(spec({ disable: ["rdrand"] }), haswell);
    if (e.kind !== "audited") throw new Error(e.kind);
    const wire = cache.wireForm(e.requested);
    expect(wire).toEqual(policyToJson(serialisePolicy(e.requested)));
    expect(cache.wireForm(e.requested)).toBe(wire);
  });

  it("does not cache a full spec.policy", () => {
    const cache = new EvaluationCache();
    const policy = policyToJson(serialisePolicy(guestDefault(haswell.guest, "hvm")));
    const s = spec({ policy });
    const first = cache.evaluate(s, haswell);
    expect(cache.evaluate(s, haswell)).not.toBe(first);
    expect(cache.evaluate(s, haswell)).toEqual(first);
  });
});
