// A published host as a pool member: its guest max, keyed by the content hash
// computed on receipt (shared/hosts/host-record.ts), with its TSC facts.

import type { HostRecord } from "../hosts/host-record.ts";
import { guestMaxHash } from "../hosts/host-record.ts";
import type { GuestType } from "../featureset/masks.ts";
import type { LevelMember } from "./level.ts";

export function hostLevelMember(host: HostRecord, guest: GuestType): LevelMember {
  return {
    host: host.hostId,
    policy: host.guest[guest === "pv" ? "pv_max" : "hvm_max"],
    key: guestMaxHash(host, guest),
    facts: { tsc: host.published.tsc },
  };
}
