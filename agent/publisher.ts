// Keeps this host's entry in the cpuid-hosts bucket current: publishes the
// latest HostPolicies, retries with backoff until the put is acknowledged,
// publishes again after every reconnect, and sends heartbeats and domain events.

import type { NatsConnection } from "@nats-io/transport-node";
import type { KV } from "@nats-io/kv";
import type { Logger } from "pino";
import { openHostsBucket } from "../runtime/nats/hosts-bucket.ts";
import { domainEventSubject, heartbeatSubject, hostKey } from "../shared/nats/subjects.ts";
import type { DomainEvent } from "../shared/schemas/agent-messages.ts";
import type { Heartbeat, HostPolicies } from "../shared/schemas/host-policies.ts";
import type { AgentMetrics } from "./metrics.ts";

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
const PUT_TIMEOUT_MS = 5_000;

export class Publisher {
  readonly #nc: NatsConnection;
  readonly #hostId: string;
  readonly #metrics: AgentMetrics;
  readonly #log: Logger;
  #kv: KV | undefined;
  #latest: HostPolicies | undefined;
  #published = false;
  #publishing: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay = RETRY_FIRST_MS;
  #closed = false;

  constructor(nc: NatsConnection, hostId: string, metrics: AgentMetrics, log: Logger) {
    this.#nc = nc;
    this.#hostId = hostId;
    this.#metrics = metrics;
    this.#log = log;
  }

  /** True once the latest HostPolicies has been acknowledged by the bucket. */
  get published(): boolean {
    return this.#published;
  }

  /** Publish this value now (and keep retrying until it is acknowledged). */
  publish(hp: HostPolicies): Promise<void> {
    this.#latest = hp;
    this.#published = false;
    return this.#attempt();
  }

  /** After a reconnect: the server may have lost or never received the last put. */
  republish(): Promise<void> {
    if (!this.#latest) return Promise.resolve();
    this.#latest = { ...this.#latest, publishedAt: new Date().toISOString() };
    this.#published = false;
    return this.#attempt();
  }

  heartbeat(hb: Heartbeat): void {
    this.#nc.publish(heartbeatSubject(this.#hostId), JSON.stringify(hb));
    this.#metrics.heartbeats.inc();
    this.#metrics.lastHeartbeat.set(Date.now() / 1000);
  }

  /** Tells the controller at once that a domain changed (e.g. started with its staged policy). */
  domainEvent(ev: DomainEvent): void {
    this.#nc.publish(domainEventSubject(this.#hostId), JSON.stringify(ev));
    this.#metrics.domainEvents.inc({ state: ev.state });
  }

  /** Wait for a put in progress; stop retrying. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await this.#publishing;
  }

  #attempt(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    // One put at a time; a newer value queued meanwhile is sent right after.
    this.#publishing = (this.#publishing ?? Promise.resolve()).then(() => this.#putLatest());
    return this.#publishing;
  }

  async #putLatest(): Promise<void> {
    const hp = this.#latest;
    if (!hp || this.#published || this.#closed) return;
    try {
      this.#kv ??= await openHostsBucket(this.#nc);
      const revision = await this.#kv.put(hostKey(this.#hostId), JSON.stringify(hp), { timeout: PUT_TIMEOUT_MS });
      if (this.#latest !== hp) return;
      this.#published = true;
      this.#retryDelay = RETRY_FIRST_MS;
      this.#metrics.publishes.inc({ result: "ok" });
      this.#metrics.lastPublish.set(Date.now() / 1000);
      this.#log.info({ revision, digest: hp.fingerprint.digest }, "host policies published");
    } catch (err) {
      this.#metrics.publishes.inc({ result: "error" });
      const delay = this.#retryDelay;
      this.#retryDelay = Math.min(RETRY_MAX_MS, this.#retryDelay * 2);
      this.#log.warn({ err: (err as Error).message, retryInMs: delay }, "publishing host policies failed");
      if (!this.#closed) this.#retryTimer = setTimeout(() => void this.#attempt(), delay);
    }
  }
}
