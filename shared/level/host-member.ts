// A published host as a pool member (its guest max, keyed by the content hash
// computed on receipt, shared/hosts/host-record.ts) or as one end of a move,
// with the facts outside its policy that levels and moves need (TSC).

import type { HostRecord } from "../hosts/host-record.ts";
import { guestMaxHash } from "../hosts/host-record.ts";
import type { GuestType } from "../featureset/masks.ts";
import type { MoveEnd } from "./compat.ts";
import type { HostFacts } from "./host-facts.ts";
import type { LevelMember } from "./level.ts";

export const publishedFacts = (host: HostRecord): HostFacts => ({ tsc: host.published.tsc });

export function hostLevelMember(host: HostRecord, guest: GuestType): LevelMember {
  return {
    host: host.hostId,
    policy: host.guest[guest === "pv" ? "pv_max" : "hvm_max"],
    key: guestMaxHash(host, guest),
    facts: publishedFacts(host),
  };
}

/** `hostId` as one end of a move; without its record (not published) its facts are unknown. */
export function moveEnd(hostId: string, record: HostRecord | undefined): MoveEnd {
  return record ? { host: hostId, facts: publishedFacts(record) } : { host: hostId };
}
