// Feeds the HostIndex from NATS: a watch on the `cpuid-hosts` KV bucket
// (re-established with backoff if it ends) and the agents' heartbeats.
//
// The watch's consumer lives on one server of a JetStream cluster; when that
// server dies the watch neither ends nor delivers again (the client only
// notes missed heartbeats). So a watchdog compares the bucket's last
// sequence with the last revision the watch delivered: behind at two checks
// in a row with nothing delivered in between, the watch is re-established.

import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { HEARTBEAT_SUBJECT_WILDCARD, hostIdFromToken } from "../../shared/nats/subjects.ts";
import { decodeJson } from "../../shared/schemas/decode-json.ts";
import { Heartbeat, HostPolicies } from "../../shared/schemas/host-policies.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import type { HostIndex } from "./host-index.ts";

export interface HostWatchOptions {
  nc: NatsConnection;
  kv: KV;
  index: HostIndex;
  log: Logger;
  /** since when hosts could be heard (./nats-connection-status.ts); undefined while disconnected: nobody goes stale then */
  listeningSince(): number | undefined;
}

const STALE_CHECK_INTERVAL_MS = 500;
const WATCH_CHECK_INTERVAL_MS = 5_000;

export class HostWatch {
  readonly #o: HostWatchOptions;
  #stopped = false;
  #initialised!: () => void;
  /** resolves once the bucket's current content is in the index */
  readonly initialised = new Promise<void>((resolve) => (this.#initialised = resolve));
  #watcher?: { stop(): void };
  #heartbeats?: Subscription;
  #staleTimer?: NodeJS.Timeout;
  #watchdogTimer?: NodeJS.Timeout;
  /** the highest revision (stream sequence) the watch delivered */
  #delivered = 0;
  /** what #delivered was when the watch was first seen behind the bucket */
  #behindAt: number | undefined;
  #loop?: Promise<void>;
  /** the bucket's content was loaded once; later replays (a watch re-established) are not news from the hosts */
  #loaded = false;

  constructor(options: HostWatchOptions) {
    this.#o = options;
  }

  start(): void {
    this.#heartbeats = this.#o.nc.subscribe(HEARTBEAT_SUBJECT_WILDCARD, {
      callback: (err, msg) => {
        if (err) return void this.#o.log.warn({ err }, "heartbeat subscription failed");
        const hb = decodeJson(Heartbeat, msg.data);
        if (hb.success) this.#o.index.seen(hb.data.hostId, Date.now());
      },
    });
    this.#staleTimer = setInterval(() => {
      const since = this.#o.listeningSince();
      if (since !== undefined) this.#o.index.checkStaleness(Date.now(), since);
    }, STALE_CHECK_INTERVAL_MS);
    this.#staleTimer.unref();
    this.#watchdogTimer = setInterval(() => void this.#checkWatch(), WATCH_CHECK_INTERVAL_MS);
    this.#watchdogTimer.unref();
    this.#loop = this.#watchForever();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#staleTimer);
    clearInterval(this.#watchdogTimer);
    this.#heartbeats?.unsubscribe();
    this.#watcher?.stop();
    await this.#loop;
  }

  async #watchForever(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      try {
        await this.#watchOnce();
        failures = 0;
      } catch (err) {
        failures++;
        this.#o.log.warn({ err }, "cpuid-hosts watch failed; retrying");
      }
      if (this.#stopped) return;
      await new Promise((r) => setTimeout(r, backoffDelay(Math.max(failures, 1), { baseMs: 200, maxMs: 10_000 })));
    }
  }

  /** One watch: replays the current value of every key, then follows changes. */
  async #watchOnce(): Promise<void> {
    const { kv, index } = this.#o;
    const seenInReplay = new Set<string>();
    let replaying = (await kv.status()).values > 0;
    const finishReplay = () => {
      replaying = false;
      // keys deleted while no watch was running
      for (const hostId of index.hostIds()) if (!seenInReplay.has(hostId)) index.remove(hostId);
      this.#loaded = true;
      this.#initialised();
    };
    if (!replaying) finishReplay();
    const watcher = await kv.watch();
    this.#watcher = watcher;
    for await (const entry of watcher) {
      this.#delivered = Math.max(this.#delivered, entry.revision);
      const hostId = this.#apply(entry, !(replaying && this.#loaded));
      if (replaying) {
        if (hostId) seenInReplay.add(hostId);
        if (entry.delta === 0 || entry.isUpdate) finishReplay();
      }
    }
  }

  async #checkWatch(): Promise<void> {
    let last: number;
    try {
      last = (await this.#o.kv.status()).streamInfo.state.last_seq;
    } catch {
      return; // no answer now (a server down, a reconnect): the next check decides
    }
    if (last <= this.#delivered) {
      this.#behindAt = undefined;
    } else if (this.#behindAt !== this.#delivered) {
      this.#behindAt = this.#delivered;
    } else {
      this.#o.log.warn({ bucketSequence: last, delivered: this.#delivered }, "cpuid-hosts watch stalled; re-establishing it");
      this.#behindAt = undefined;
      this.#watcher?.stop();
    }
  }

  /** Applies one KV entry; returns the host id it concerned. `heard`: the entry is news from the host (not a replay). */
  #apply(entry: KvWatchEntry, heard: boolean): string | undefined {
    let hostId: string;
    try {
      hostId = hostIdFromToken(entry.key);
    } catch {
      this.#o.log.warn({ key: entry.key }, "ignoring a cpuid-hosts key that is not a host token");
      return undefined;
    }
    if (entry.operation !== "PUT") {
      this.#o.index.remove(hostId);
      return undefined;
    }
    const parsed = decodeJson(HostPolicies, entry.value);
    if (!parsed.success) {
      this.#o.log.warn({ hostId, issues: parsed.error.issues.slice(0, 5) }, "ignoring invalid HostPolicies");
      return hostId;
    }
    if (parsed.data.hostId !== hostId) {
      this.#o.log.warn({ key: entry.key, hostId: parsed.data.hostId }, "ignoring HostPolicies published under another host's key");
      return hostId;
    }
    this.#o.index.put(parsed.data, Date.now(), heard);
    return hostId;
  }
}

