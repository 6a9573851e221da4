import { beforeAll, describe, expect, it } from "vitest";
import { AcceptingHostsIndex } from "../../../controller/domain-policy/accepting-hosts.ts";
import { policySource } from "../../../controller/domain-policy/move.ts";
import { countUnmigratable } from "../../../controller/domain-policy/unmigratable.ts";
import { HostIndex } from "../../../controller/hosts/host-index.ts";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyObject, type DomainCpuidPolicyStatus } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { requestDigest } from "../../../shared/domain-policy/effective-policy.ts";
import { evaluateDomainPolicy, type AuditedEvaluation } from "../../../shared/domain-policy/evaluate.ts";
import { decodeHostPolicies, type HostRecord } from "../../../shared/hosts/host-record.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import type { HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { policyToJson } from "../../../shared/policy/policy-json.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "./host-fixture.ts";

let hsw: HostPolicies;
let spr: HostPolicies;
let records: Map<string, HostRecord>;
beforeAll(async () => {
  hsw = await hostPoliciesFrom("hsw-1", HASWELL);
  spr = await hostPoliciesFrom("spr-1", SAPPHIRE_RAPIDS);
  records = new Map([hsw, spr].map((h) => [h.hostId, decodeHostPolicies(h)]));
});

const spec = (s: Record<string, unknown>) => DomainCpuidPolicySpec.parse({ host: "hsw-1", domain: "vm1", guestType: "hvm", ...s });
const audited = (s: DomainCpuidPolicySpec, host: string) => evaluateDomainPolicy(s, records.get(host)!) as AuditedEvaluation;
const lookup = (id: string) => records.get(id);

describe("AcceptingHostsIndex", () => {
  it("counts the fresh hosts whose guest max accepts a policy, and follows the host set", () => {
    const index = new HostIndex(() => undefined);
    const accepting = new AcceptingHostsIndex(index);
    index.put(hsw, 0);
    index.put({ ...hsw, hostId: "hsw-2" }, 0);
    index.put(spr, 0);
    const sprDefault = audited(spec({ host: "spr-1" }), "spr-1");
    const hswDefault = audited(spec({}), "hsw-1");
    expect(accepting.of(sprDefault.requested, sprDefault.policyHash, "hvm")).toEqual({ count: 1, hosts: ["spr-1"] });
    expect(accepting.of(hswDefault.requested, hswDefault.policyHash, "hvm")).toEqual({ count: 2, hosts: ["hsw-1", "hsw-2"] });

    index.put({ ...spr, hostId: "spr-2" }, 0);
    expect(accepting.of(sprDefault.requested, sprDefault.policyHash, "hvm").count).toBe(1);
    accepting.hostsChanged();
    expect(accepting.of(sprDefault.requested, sprDefault.policyHash, "hvm")).toEqual({ count: 2, hosts: ["spr-1", "spr-2"] });

    index.checkStaleness(10 * 60_000);
    accepting.hostsChanged();
    expect(accepting.of(sprDefault.requested, sprDefault.policyHash, "hvm")).toEqual({ count: 0, hosts: [] });
  });

  it("lists at most 10 hosts", () => {
    const index = new HostIndex(() => undefined);
    for (let i = 0; i < 12; i++) index.put({ ...hsw, hostId: `hsw-${String(i).padStart(2, "0")}` }, 0);
    const hswDefault = audited(spec({}), "hsw-1");
    const answer = new AcceptingHostsIndex(index).of(hswDefault.requested, hswDefault.policyHash, "hvm");
    expect(answer.count).toBe(12);
    expect(answer.hosts).toEqual(Array.from({ length: 10 }, (_, i) => `hsw-${String(i).padStart(2, "0")}`));
  });
});

describe("policySource", () => {
  const held = (s: DomainCpuidPolicySpec, on: string): DomainCpuidPolicyStatus => {
    const ev = audited(s, on);
    return {
      observedGeneration: 1,
      host: on,
      requestDigest: requestDigest(s),
      policyHash: ev.policyHash,
      appliedHash: ev.policyHash,
      conditions: [{ type: "Applied", status: "True", reason: "Applied", message: "", lastTransitionTime: "2026-12-06T00:00:00Z" }],
    };
  };

  it("a spec.host change alone carries the policy built on the old host", () => {
    const before = spec({ disable: ["rdrand"] });
    const source = policySource({ ...before, host: "spr-1" }, held(before, "hsw-1"), lookup, evaluateDomainPolicy);
    expect(source).toMatchObject({ kind: "carry", from: "hsw-1", hash: audited(before, "hsw-1").policyHash });
  });

  it("a host change with anything else changed, or with no move at all, builds as usual", () => {
    const before = spec({ disable: ["rdrand"] });
    expect(policySource({ ...before, host: "spr-1", disable: [] }, held(before, "hsw-1"), lookup, evaluateDomainPolicy)).toEqual({ kind: "build" });
    expect(policySource(before, held(before, "hsw-1"), lookup, evaluateDomainPolicy)).toEqual({ kind: "build" });
    expect(policySource(before, undefined, lookup, evaluateDomainPolicy)).toEqual({ kind: "build" });
  });

  it("a policy the domain never held does not travel", () => {
    const before = spec({});
    const notApplied = { ...held(before, "hsw-1"), conditions: [] };
    expect(policySource({ ...before, host: "spr-1" }, notApplied, lookup, evaluateDomainPolicy)).toEqual({ kind: "build" });
  });

  it("a carried policy keeps travelling, and one that cannot be rebuilt is reported", () => {
    const before = spec({});
    const ev = audited(before, "hsw-1");
    const carried = { ...held(before, "hsw-1"), host: "spr-1", carriedPolicy: policyToJson(serialisePolicy(ev.requested)), movedFrom: "hsw-1" };
    expect(policySource({ ...before, host: "spr-1" }, carried, lookup, evaluateDomainPolicy)).toMatchObject({ kind: "carry", hash: ev.policyHash, from: "hsw-1" });
    // moving on again: from the host it is on now
    expect(policySource({ ...before, host: "spr-2" }, carried, lookup, evaluateDomainPolicy)).toMatchObject({ kind: "carry", hash: ev.policyHash, from: "spr-1" });
    const gone = policySource({ ...before, host: "spr-1" }, held(before, "hsw-1"), () => undefined, evaluateDomainPolicy);
    expect(gone).toMatchObject({ kind: "unknown" });
    expect((gone as { message: string }).message).toContain("host hsw-1, whose policies the effective policy was built from, has not published them");
  });
});

describe("countUnmigratable", () => {
  const obj = (status: DomainCpuidPolicyStatus): DomainCpuidPolicyObject => ({ apiVersion: "cpuidfleet.io/v1alpha1", kind: "DomainCpuidPolicy", metadata: {}, spec: {}, status });
  const migratable = (status: "True" | "False" | "Unknown") => ({ type: "Migratable", status, reason: "R", message: "", lastTransitionTime: "2026-12-06T00:00:00Z" });
  it("counts the policies whose condition Migratable is False", () => {
    const objects = [
      obj({ conditions: [migratable("True")] }),
      obj({ conditions: [migratable("False")] }),
      obj({ conditions: [migratable("Unknown")] }),
      obj({ conditions: [migratable("False")] }),
      obj({}),
    ];
    expect(countUnmigratable(objects)).toBe(2);
  });
});
