import { beforeAll, describe, expect, it } from "vitest";
import { AcceptingHostsIndex } from "../../../controller/domain-policy/accepting-hosts.ts";
import { policySource } from "../../../controller/domain-policy/move.ts";
import { countUnmigratable } from "../../../controller/domain-policy/unmigratable.ts";
import { HostIndex } from "../../../controller/hosts/host-index.ts";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyObject, type DomainCpuidPolicyStatus } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { requestDigest } from "../../../shared/domain-policy/effective-policy.ts";
import { auditOnHost, evaluateDomainPolicy, type AuditedEvaluation } from "../../../shared/domain-policy/evaluate.ts";
import { moveEnd } from "../../../shared/level/host-member.ts";
import { decodeHostPolicies, type HostRecord } from "../../../shared/hosts/host-record.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import type { HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { policyToJson } from "../../../shared/policy/policy-json.ts";
import { HASWELL, ICE_LAKE, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "./host-fixture.ts";

let hsw: HostPolicies;
let spr: HostPolicies;
let icl: HostPolicies;
let records: Map<string, HostRecord>;
beforeAll(async () => {
  hsw = await hostPoliciesFrom("hsw-1", HASWELL);
  spr = await hostPoliciesFrom("spr-1", SAPPHIRE_RAPIDS);
  icl = await hostPoliciesFrom("icl-1", ICE_LAKE);
  records = new Map([hsw, spr, icl, { ...icl, hostId: "icl-2" }].map((h) => [h.hostId, decodeHostPolicies(h)]));
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
    expect(accepting.of(sprDefault.requested, sprDefault.policyHash, "hvm", { host: "spr-1" })).toEqual({ count: 1, hosts: ["spr-1"] });
    expect(accepting.of(hswDefault.requested, hswDefault.policyHash, "hvm", { host: "hsw-1" })).toEqual({ count: 2, hosts: ["hsw-1", "hsw-2"] });

    index.put({ ...spr, hostId: "spr-2" }, 0);
    expect(accepting.of(sprDefault.requested, sprDefault.policyHash, "hvm", { host: "spr-1" }).count).toBe(1);
    accepting.hostsChanged();
    expect(accepting.of(sprDefault.requested, sprDefault.policyHash, "hvm", { host: "spr-1" })).toEqual({ count: 2, hosts: ["spr-1", "spr-2"] });

    index.checkStaleness(10 * 60_000);
    accepting.hostsChanged();
    expect(accepting.of(sprDefault.requested, sprDefault.policyHash, "hvm", { host: "spr-1" })).toEqual({ count: 0, hosts: [] });
  });

  it("lists at most 10 hosts", () => {
    const index = new HostIndex(() => undefined);
    for (let i = 0; i < 12; i++) index.put({ ...hsw, hostId: `hsw-${String(i).padStart(2, "0")}` }, 0);
    const hswDefault = audited(spec({}), "hsw-1");
    const answer = new AcceptingHostsIndex(index).of(hswDefault.requested, hswDefault.policyHash, "hvm", { host: "hsw-1" });
    expect(answer.count).toBe(12);
    expect(answer.hosts).toEqual(Array.from({ length: 10 }, (_, i) => `hsw-${String(i).padStart(2, "0")}`));
  });
});

// Invariant TSC (itsc): a domain keeps the TSC rate of its host, so with
// itsc on, a host of another rate that cannot scale does not accept it. The
// file probe publishes Ice Lake 2,400,000 kHz and Sapphire Rapids 2,592,000
// kHz (CPUID leaf 0x15), and no TSC scaling for Intel.
describe("invariant TSC in acceptingHosts and moves", () => {
  const onIceLake = (enable: string[]) => audited(spec({ host: "icl-1", disable: ["rdpid"], enable }), "icl-1");
  const fleet = () => {
    const index = new HostIndex(() => undefined);
    for (const id of ["icl-1", "icl-2", "spr-1"]) index.put({ ...(id === "spr-1" ? spr : icl), hostId: id }, 0);
    return { index, accepting: new AcceptingHostsIndex(index) };
  };

  it("the fixtures publish the rates the rule is about", () => {
    expect([icl.tsc, spr.tsc]).toEqual([{ khz: 2_400_000 }, { khz: 2_592_000 }]);
  });

  it("counts a host at another rate without scaling only for a policy without itsc", () => {
    const { accepting } = fleet();
    const plain = onIceLake([]);
    const itsc = onIceLake(["itsc"]);
    expect(itsc.findings).toEqual([]);
    const fromIceLake = moveEnd("icl-1", records.get("icl-1"));
    expect(accepting.all(plain.requested, plain.policyHash, "hvm", fromIceLake)).toEqual(["icl-1", "icl-2", "spr-1"]);
    expect(accepting.all(itsc.requested, itsc.policyHash, "hvm", fromIceLake)).toEqual(["icl-1", "icl-2"]);
    // the policy's host with no published rate: nothing refused on TSC grounds, as in a pool
    expect(accepting.all(itsc.requested, itsc.policyHash, "hvm", { host: "icl-1" })).toEqual(["icl-1", "icl-2", "spr-1"]);
  });

  it("judges each host by its own TSC facts, even among hosts sharing one guest max", () => {
    const { index, accepting } = fleet();
    index.put({ ...spr, hostId: "spr-scaling", tsc: { khz: 2_592_000, scaling: true } }, 0);
    index.put({ ...spr, hostId: "spr-unknown", tsc: {} }, 0);
    const itsc = onIceLake(["itsc"]);
    expect(accepting.all(itsc.requested, itsc.policyHash, "hvm", moveEnd("icl-1", records.get("icl-1")))).toEqual(["icl-1", "icl-2", "spr-scaling", "spr-unknown"]);
  });

  it("a carried policy with itsc is unsafe on a host of another rate, naming both hosts and rates", () => {
    const itsc = onIceLake(["itsc"]);
    const from = moveEnd("icl-1", records.get("icl-1"));
    const toSpr = auditOnHost(itsc.requested, "hvm", records.get("spr-1")!, { from });
    expect(toSpr.findings).toEqual([
      expect.objectContaining({
        code: "tsc-incompatible",
        features: ["itsc"],
        message: "itsc (CPUID 0x80000007.edx[8]) promises a constant TSC rate, but the guest runs at 2400000 kHz on host icl-1 and host spr-1 at 2592000 kHz (more than 250 ppm apart) without TSC scaling",
      }),
    ]);
    expect(auditOnHost(itsc.requested, "hvm", records.get("icl-2")!, { from }).findings).toEqual([]);
    // built on its host (no move): no TSC rule
    expect(auditOnHost(itsc.requested, "hvm", records.get("spr-1")!).findings).toEqual([]);
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
