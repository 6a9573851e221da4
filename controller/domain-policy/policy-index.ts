// Which DomainCpuidPolicies target which host and domain, from the informer's
// events: the policies to re-audit when a host changes, and which policy
// governs a domain when several name it (the oldest; the others report
// Conflict until it goes away).

export interface PolicyTarget {
  host: string;
  domain: string;
  /** metadata.creationTimestamp, ISO 8601 */
  createdAt: string;
  /** metadata.uid: what the agents record as the provenance of a policy they hold */
  uid?: string;
}

const targetKey = (host: string, domain: string) => `${host}\u0000${domain}`;

export class PolicyIndex {
  readonly #targets = new Map<string, PolicyTarget>();
  readonly #byHost = new Map<string, Set<string>>();
  readonly #byDomain = new Map<string, Set<string>>();
  readonly #byUid = new Map<string, string>();

  /** Records (or moves) a policy; returns the other policies whose governing policy may have changed. */
  set(key: string, target: PolicyTarget): string[] {
    const previous = this.#targets.get(key);
    if (previous && previous.host === target.host && previous.domain === target.domain && previous.uid === target.uid) {
      this.#targets.set(key, target);
      return [];
    }
    const affected = previous ? this.remove(key) : [];
    this.#targets.set(key, target);
    if (target.uid) this.#byUid.set(target.uid, key);
    add(this.#byHost, target.host, key);
    const rivals = add(this.#byDomain, targetKey(target.host, target.domain), key);
    return [...affected, ...[...rivals].filter((k) => k !== key)];
  }

  /** Forgets a policy; returns the others that named the same domain. */
  remove(key: string): string[] {
    const target = this.#targets.get(key);
    if (!target) return [];
    this.#targets.delete(key);
    if (target.uid && this.#byUid.get(target.uid) === key) this.#byUid.delete(target.uid);
    drop(this.#byHost, target.host, key);
    const rest = drop(this.#byDomain, targetKey(target.host, target.domain), key);
    return [...rest];
  }

  target(key: string): PolicyTarget | undefined {
    return this.#targets.get(key);
  }

  /** Where the policy with this uid points now, if it still exists. */
  targetOfUid(uid: string): PolicyTarget | undefined {
    const key = this.#byUid.get(uid);
    return key === undefined ? undefined : this.#targets.get(key);
  }

  keysOnHost(host: string): Iterable<string> {
    return this.#byHost.get(host) ?? [];
  }

  /** The policy that governs this domain: the oldest, ties broken by key. */
  owner(host: string, domain: string): string | undefined {
    let best: string | undefined;
    for (const key of this.#byDomain.get(targetKey(host, domain)) ?? []) {
      if (best === undefined || older(this.#targets.get(key)!, key, this.#targets.get(best)!, best)) best = key;
    }
    return best;
  }
}

function older(a: PolicyTarget, aKey: string, b: PolicyTarget, bKey: string): boolean {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt;
  return aKey < bKey;
}

function add(map: Map<string, Set<string>>, key: string, value: string): Set<string> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
  return set;
}

function drop(map: Map<string, Set<string>>, key: string, value: string): Set<string> {
  const set = map.get(key);
  if (!set) return new Set();
  set.delete(value);
  if (set.size === 0) map.delete(key);
  return set;
}
