// effectivePolicy: the policy a DomainCpuidPolicy's status says the domain
// has, rebuilt from the carried policy or from the spec on status.host and
// checked against the recorded hash; and what makes it unknown.

import { beforeAll, describe, expect, it } from "vitest";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyStatus } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { effectivePolicy, requestDigest } from "../../../shared/domain-policy/effective-policy.ts";
import { evaluateDomainPolicy, type AuditedEvaluation } from "../../../shared/domain-policy/evaluate.ts";
import { decodeHostPolicies, type HostRecord } from "../../../shared/hosts/host-record.ts";
import { policyToJson } from "../../../shared/policy/policy-json.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "./host-fixture.ts";

let records: Map<string, HostRecord>;
beforeAll(async () => {
  records = new Map([
    ["hsw-1", decodeHostPolicies(await hostPoliciesFrom("hsw-1", HASWELL))],
    ["spr-1", decodeHostPolicies(await hostPoliciesFrom("spr-1", SAPPHIRE_RAPIDS))],
  ]);
});
const lookup = (id: string) => records.get(id);
const spec = (s: Record<string, unknown> = {}) => DomainCpuidPolicySpec.parse({ host: "hsw-1", domain: "vm1", guestType: "hvm", ...s });
const built = (s: DomainCpuidPolicySpec, on: string) => evaluateDomainPolicy(s, records.get(on)!) as AuditedEvaluation;

describe("requestDigest", () => {
  it("is a sha256 of everything but the host", () => {
    const digest = requestDigest(spec());
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(requestDigest(spec({ host: "spr-1" }))).toBe(digest);
    expect(requestDigest(spec({ domain: "vm2" }))).not.toBe(digest);
    expect(requestDigest(spec({ disable: ["rdrand"] }))).not.toBe(digest);
  });
});

describe("effectivePolicy, built on status.host", () => {
  it("is the spec built on the host the status names, with its hash, not carried", () => {
    const s = spec({ disable: ["rdrand"] });
    const ev = built(s, "hsw-1");
    // spec.host moved on, the status still names the host the policy was built on: no build function given, a fresh evaluation
    expect(effectivePolicy({ ...s, host: "spr-1" }, { host: "hsw-1", policyHash: ev.policyHash }, lookup)).toStrictEqual({
      kind: "known",
      policy: ev.requested,
      hash: ev.policyHash,
      carried: false,
    });
  });

  it("builds on spec.host when the status names no host", () => {
    const ev = built(spec(), "spr-1");
    expect(effectivePolicy(spec({ host: "spr-1" }), { policyHash: ev.policyHash }, lookup)).toMatchObject({ kind: "known", hash: ev.policyHash });
  });

  it("is unknown before the first audit", () => {
    expect(effectivePolicy(spec(), {}, lookup)).toStrictEqual({ kind: "unknown", message: "the status records no effective policy yet (not audited)" });
  });

  it("is unknown when the host has not published its policies", () => {
    expect(effectivePolicy(spec(), { host: "gone-1", policyHash: "sha256:x" }, lookup)).toStrictEqual({
      kind: "unknown",
      message: "host gone-1, whose policies the effective policy was built from, has not published them",
    });
  });

  it("is unknown when the spec no longer builds, with the reason", () => {
    const full = spec({ policy: { leaves: [], msrs: [{ index: "000000ce", flags: "00000001", value: "0000000000000000" }] } });
    const status: DomainCpuidPolicyStatus = { host: "hsw-1", policyHash: "sha256:x" };
    expect(effectivePolicy(full, status, lookup)).toStrictEqual({ kind: "unknown", message: "spec.policy: MSR 0x000000ce has flags 1, must be 0" });
  });

  it("is unknown when the host's policies or the spec changed since the audit", () => {
    const ev = built(spec(), "hsw-1");
    expect(effectivePolicy(spec(), { host: "hsw-1", policyHash: "sha256:recorded" }, lookup)).toStrictEqual({
      kind: "unknown",
      message: `the spec built on host hsw-1 now gives ${ev.policyHash}, not the recorded sha256:recorded: the host's policies or the spec changed since the last audit`,
    });
  });
});

describe("effectivePolicy, carried", () => {
  it("is the carried policy when it hashes to status.policyHash, whatever the hosts publish", () => {
    const ev = built(spec({ disable: ["rdrand"] }), "hsw-1");
    const status = { host: "spr-1", policyHash: ev.policyHash, carriedPolicy: policyToJson(serialisePolicy(ev.requested)) };
    const r = effectivePolicy(spec({ host: "spr-1" }), status, () => undefined);
    expect(r).toMatchObject({ kind: "known", hash: ev.policyHash, carried: true });
    expect(r.kind === "known" && policyToJson(serialisePolicy(r.policy))).toStrictEqual(status.carriedPolicy);
  });

  it("is unknown when the carried policy hashes to something else", () => {
    const ev = built(spec(), "hsw-1");
    const status = { host: "spr-1", policyHash: "sha256:recorded", carriedPolicy: policyToJson(serialisePolicy(ev.requested)) };
    expect(effectivePolicy(spec({ host: "spr-1" }), status, lookup)).toStrictEqual({
      kind: "unknown",
      message: `status.carriedPolicy hashes to ${ev.policyHash}, not status.policyHash sha256:recorded`,
    });
  });

  it("is unknown when the carried policy breaks Xen's rules, naming the rule", () => {
    const status = { policyHash: "sha256:x", carriedPolicy: { leaves: [], msrs: [{ index: "000000ce", flags: "00000001", value: "0000000000000000" }] } };
    expect(effectivePolicy(spec(), status, lookup)).toStrictEqual({ kind: "unknown", message: "status.carriedPolicy: MSR 0x000000ce has flags 1, must be 0" });
  });

  it("lets an error that is not about the policy's format through", () => {
    const status = { policyHash: "sha256:x", carriedPolicy: { leaves: [], msrs: [{ index: "000000ce", value: "not hex" }] } };
    expect(() => effectivePolicy(spec(), status, lookup)).toThrow(SyntaxError);
  });
});
