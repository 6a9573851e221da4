// Which hosts could take a domain with its effective policy: those whose guest
// max accepts it and, for a policy with invariant TSC, that keep the TSC rate
// of the policy's host (shared/level/compat.ts, the checks a migration must
// pass). A fleet has few distinct guest max policies, so hosts are grouped by
// the content hash of theirs and each policy is audited once per group; the
// TSC rule, cheap, is applied per host. The answer is remembered per policy
// hash, guest type and (itsc only) TSC rate of the policy's host until the
// host set changes (hostsChanged), and each audit per policy and max hash for
// as long as both exist. Stale hosts are left out: nothing can move to a host
// that is silent.

import { ACCEPTING_HOSTS_LISTED, type AcceptingHosts } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { guestMaxHash } from "../../shared/hosts/host-record.ts";
import { breaksInvariantTsc, policyFits, promisesInvariantTsc, type MoveEnd } from "../../shared/level/compat.ts";
import type { HostFacts } from "../../shared/level/host-facts.ts";
import { publishedFacts } from "../../shared/level/host-member.ts";
import type { CpuPolicy } from "../../shared/policy/cpu-policy.ts";
import { guestMax } from "../../shared/request/build-request.ts";
import type { GuestType } from "../../shared/schemas/guest.ts";
import type { HostIndex } from "../hosts/host-index.ts";

interface MaxGroup {
  max: CpuPolicy;
  hosts: { host: string; facts: HostFacts }[];
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

  /** Treat the answer as read-only: it is shared. `from`: the policy's host. */
  of(policy: CpuPolicy, hash: string, guest: GuestType, from: MoveEnd): AcceptingHosts {
    const all = this.all(policy, hash, guest, from);
    return { count: all.length, hosts: all.slice(0, ACCEPTING_HOSTS_LISTED) };
  }

  /** Every accepting host, sorted; read-only, it is shared. `from`: the policy's host. */
  all(policy: CpuPolicy, hash: string, guest: GuestType, from: MoveEnd): readonly string[] {
    const itsc = promisesInvariantTsc(policy);
    const key = itsc ? `${guest}|${hash}|${from.facts?.tsc?.khz ?? "?"}` : `${guest}|${hash}`;
    let answer = this.#answers.get(key);
    if (answer) return answer;
    const accepting: string[] = [];
    for (const [maxHash, group] of this.#groupsFor(guest)) {
      if (!this.#fit(policy, hash, maxHash, group.max, guest)) continue;
      for (const to of group.hosts) if (!itsc || !breaksInvariantTsc(from, to, guest)) accepting.push(to.host);
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
      const member = { host: hostId, facts: publishedFacts(host.record) };
      if (group) group.hosts.push(member);
      else groups.set(maxHash, { max: guestMax(host.record.guest, guest), hosts: [member] });
    }
    this.#groups.set(guest, groups);
    return groups;
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > this.#capacity) map.delete(map.keys().next().value!);
  }
}
