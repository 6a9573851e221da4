// The controller's view of the fleet: the last HostPolicies each host
// published, decoded, and when it was last heard from (publication or
// heartbeat). Reports what changed so the right objects get reconciled.

import { hostLiveness } from "../../shared/nats/host-liveness.ts";
import type { HostPolicies } from "../../shared/schemas/host-policies.ts";
import { decodeHostPolicies, type HostFacts, type HostRecord } from "../../shared/hosts/host-record.ts";

export type HostChange =
  | "added"
  /** new policies (fingerprint or content changed) */
  | "updated"
  | "removed"
  /** no heartbeat or publication for too long (shared/nats/host-liveness.ts) */
  | "stale"
  /** heard from again after being stale */
  | "fresh";

export interface IndexedHost {
  record: HostRecord;
  /** local time (ms) the host was last heard from */
  lastSeen: number;
  stale: boolean;
}

export class HostIndex {
  readonly #hosts = new Map<string, IndexedHost>();
  readonly #onChange: (hostId: string, change: HostChange) => void;

  constructor(onChange: (hostId: string, change: HostChange) => void) {
    this.#onChange = onChange;
  }

  get(hostId: string): IndexedHost | undefined {
    return this.#hosts.get(hostId);
  }

  hostIds(): string[] {
    return [...this.#hosts.keys()];
  }

  get size(): number {
    return this.#hosts.size;
  }

  /** `heard: false` for a replay of what the host published earlier: it does not show the host is alive now. */
  put(published: HostPolicies, now: number, heard = true): void {
    const existing = this.#hosts.get(published.hostId);
    if (existing && samePolicies(existing.record.published, published)) {
      const { policies: _views, ...facts } = published;
      existing.record = { ...existing.record, published: { ...facts, summaries: existing.record.published.summaries } };
      if (heard) this.#seen(published.hostId, existing, now);
      return;
    }
    this.#hosts.set(published.hostId, { record: decodeHostPolicies(published), lastSeen: now, stale: false });
    this.#onChange(published.hostId, existing ? "updated" : "added");
  }

  /** A heartbeat (or anything else proving the host's agent is alive). */
  seen(hostId: string, now: number): void {
    const host = this.#hosts.get(hostId);
    if (host) this.#seen(hostId, host, now);
  }

  remove(hostId: string): void {
    if (this.#hosts.delete(hostId)) this.#onChange(hostId, "removed");
  }

  /**
   * Marks hosts not heard from for too long as stale; call periodically.
   * Silence counts from `listeningSince` at the earliest: nothing could be
   * heard before then (the controller's own NATS connection was down).
   */
  checkStaleness(now: number, listeningSince = 0): void {
    for (const [hostId, host] of this.#hosts) {
      const lastHeard = Math.max(host.lastSeen, listeningSince);
      if (!host.stale && hostLiveness(lastHeard, now, host.record.published.heartbeatIntervalSeconds) === "stale") {
        host.stale = true;
        this.#onChange(hostId, "stale");
      }
    }
  }

  counts(): { ready: number; stale: number } {
    let stale = 0;
    for (const host of this.#hosts.values()) if (host.stale) stale++;
    return { ready: this.#hosts.size - stale, stale };
  }

  #seen(hostId: string, host: IndexedHost, now: number): void {
    host.lastSeen = Math.max(host.lastSeen, now);
    if (host.stale) {
      host.stale = false;
      this.#onChange(hostId, "fresh");
    }
  }
}

function samePolicies(a: HostFacts, b: HostPolicies): boolean {
  if (a.fingerprint.digest !== b.fingerprint.digest) return false;
  const names = Object.keys(b.hashes) as (keyof HostPolicies["hashes"])[];
  return names.length === Object.keys(a.hashes).length && names.every((n) => a.hashes[n] === b.hashes[n]);
}
