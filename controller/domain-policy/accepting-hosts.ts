// Which hosts could take a domain with its effective policy: those whose guest
// max accepts it (shared/level/compat.ts, the check a migration must pass).
// A fleet has few distinct guest max policies, so hosts are grouped by the
// content hash of theirs and each policy is fitted once per group; the answer
// is remembered per policy hash and guest type until the host set changes
// (hostsChanged), and each fit per policy and max hash for as long as both
// exist. Stale hosts are left out: nothing can move to a host that is silent.

import { ACCEPTING_HOSTS_LISTED, type AcceptingHosts } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { guestMaxHash } from "../../shared/hosts/host-record.ts";
import { policyFits } from "../../shared/level/compat.ts";
import type { CpuPolicy } from "../../shared/policy/cpu-policy.ts";
import { guestMax } from "../../shared/request/build-request.ts";
import type { GuestType } from "../../shared/schemas/guest.ts";
import type { HostIndex } from "../hosts/host-index.ts";

interface MaxGroup {
  max: CpuPolicy;
  /** sorted */
  hosts: string[];
}

const DEFAULT_CAPACITY = 4096;

export class AcceptingHostsIndex {
  readonly #hosts: Pick<HostIndex, "hostIds" | "get">;
  readonly #capacity: number;
  #groups = new Map<GuestType, Map<string, MaxGroup>>();
  #answers = new Map<string, readonly string[]>();
  readonly #fits = new Map<string, boolean>();

  constructor(hosts: Pick<HostIndex, "hostIds" | "get">, capacity = DEFAULT_CAPACITY) {
    this.#hosts = hosts;
    this.#capacity = capacity;
  }

  /** A host was added, republished, removed, went stale or came back. */
  hostsChanged(): void {
    this.#groups = new Map();
    this.#answers = new Map();
  }

  /** Treat the answer as read-only: it is shared. */
  of(policy: CpuPolicy, hash: string, guest: GuestType): AcceptingHosts {
    const all = this.all(policy, hash, guest);
    return { count: all.length, hosts: all.slice(0, ACCEPTING_HOSTS_LISTED) };
  }

  /** Every accepting host, sorted; read-only, it is shared. */
  all(policy: CpuPolicy, hash: string, guest: GuestType): readonly string[] {
    const key = `${guest}|${hash}`;
    let answer = this.#answers.get(key);
    if (answer) return answer;
    const accepting: string[] = [];
    for (const [maxHash, group] of this.#groupsFor(guest)) {
      if (this.#fit(policy, hash, maxHash, group.max, guest)) accepting.push(...group.hosts);
    }
    answer = accepting.sort();
    this.#remember(this.#answers, key, answer);
    return answer;
  }

  #fit(policy: CpuPolicy, hash: string, maxHash: string, max: CpuPolicy, guest: GuestType): boolean {
    const key = `${guest}|${hash}|${maxHash}`;
    let fits = this.#fits.get(key);
    if (fits === undefined) {
      fits = policyFits(policy, max, { guest }).fits;
      this.#remember(this.#fits, key, fits);
    }
    return fits;
  }

  #groupsFor(guest: GuestType): Map<string, MaxGroup> {
    let groups = this.#groups.get(guest);
    if (groups) return groups;
    groups = new Map();
    for (const hostId of this.#hosts.hostIds()) {
      const host = this.#hosts.get(hostId);
      if (!host || host.stale) continue;
      const maxHash = guestMaxHash(host.record, guest);
      const group = groups.get(maxHash);
      if (group) group.hosts.push(hostId);
      else groups.set(maxHash, { max: guestMax(host.record.guest, guest), hosts: [hostId] });
    }
    for (const group of groups.values()) group.hosts.sort();
    this.#groups.set(guest, groups);
    return groups;
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > this.#capacity) map.delete(map.keys().next().value!);
  }
}
