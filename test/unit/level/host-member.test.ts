// A published host as a pool member (the guest max of the pool's guest type,
// keyed by its content hash, with its TSC facts) and as one end of a move.

import { beforeAll, describe, expect, it } from "vitest";
import { decodeHostPolicies, type HostRecord } from "../../../shared/hosts/host-record.ts";
import { hostLevelMember, moveEnd } from "../../../shared/level/host-member.ts";
import { ICE_LAKE, hostPoliciesFrom } from "../controller/host-fixture.ts";

let record: HostRecord;
beforeAll(async () => {
  record = decodeHostPolicies({ ...(await hostPoliciesFrom("icl-1", ICE_LAKE)), tsc: { khz: 2_400_000, scaling: false } });
});

describe("hostLevelMember", () => {
  it("takes the guest max of the pool's guest type, keyed by its hash, with the host's TSC facts", () => {
    expect(record.guestHashes.pv_max).not.toBe(record.guestHashes.hvm_max);
    const facts = { tsc: { khz: 2_400_000, scaling: false } };
    expect(hostLevelMember(record, "pv")).toEqual({ host: "icl-1", policy: record.guest.pv_max, key: record.guestHashes.pv_max, facts });
    expect(hostLevelMember(record, "hvm")).toEqual({ host: "icl-1", policy: record.guest.hvm_max, key: record.guestHashes.hvm_max, facts });
    expect(hostLevelMember(record, "hvm").policy).toBe(record.guest.hvm_max);
  });
});

describe("moveEnd", () => {
  it("names the host, with its published TSC facts when its record is known", () => {
    expect(moveEnd("icl-1", record)).toEqual({ host: "icl-1", facts: { tsc: { khz: 2_400_000, scaling: false } } });
    expect(moveEnd("gone", undefined)).toEqual({ host: "gone" });
  });
});
