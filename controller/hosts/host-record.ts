// A host's published policies, decoded once when they arrive so that every
// audit against the host reuses the same CpuPolicy objects.

import type { GuestPolicies } from "../../shared/request/build-request.ts";
import type { CpuPolicy } from "../../shared/policy/cpu-policy.ts";
import { deserialisePolicy } from "../../shared/policy/serialise.ts";
import type { HostPolicies } from "../../shared/schemas/host-policies.ts";
import { policyFromJson, type PolicyName, type PolicyView } from "../../shared/schemas/policy.ts";
import type { GuestType } from "../../shared/schemas/guest.ts";

export interface HostRecord {
  hostId: string;
  published: HostPolicies;
  guest: GuestPolicies;
}

const decode = (view: PolicyView): CpuPolicy => deserialisePolicy(policyFromJson(view));

export function decodeHostPolicies(published: HostPolicies): HostRecord {
  const { policies } = published;
  return {
    hostId: published.hostId,
    published,
    guest: {
      pv_max: decode(policies.pv_max),
      pv_default: decode(policies.pv_default),
      hvm_max: decode(policies.hvm_max),
      hvm_default: decode(policies.hvm_default),
    },
  };
}

export const guestMaxName = (guest: GuestType): PolicyName => (guest === "pv" ? "pv_max" : "hvm_max");

/** Content hash of the host's guest max policy for this guest type (what audits run against). */
export function guestMaxHash(host: HostRecord, guest: GuestType): string {
  return host.published.hashes[guestMaxName(guest)] ?? "";
}
