// The controller's own NATS connection, watched: logged when it drops and
// comes back, exported as cpuid_controller_nats_connected and
// cpuid_controller_nats_reconnects_total, and asked before a host's silence
// or a failed request to it counts against the host. While the controller is
// disconnected, and after it reconnects until it hears from a host again, a
// missing heartbeat or an unanswered request says nothing about that host's
// agent: only the controller's transport blinked (a nats-server restart takes
// every agent's connection down with it, and they reconnect on their own
// schedule). A host that stays silent goes stale, counted from the reconnect;
// from then on its failures count again.

import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { ControllerMetrics } from "../metrics.ts";
import type { IndexedHost } from "./host-index.ts";

export interface Link {
  connected: boolean;
  /** local time (ms) the current connection was established */
  connectedSince: number;
}

/** Whether a request to the host that started at `startedAt` and went unanswered is evidence against the host. Pure. */
export function failureCountsAgainstHost(link: Link, host: Pick<IndexedHost, "lastSeen" | "stale"> | undefined, startedAt: number): boolean {
  if (!link.connected || startedAt < link.connectedSince) return false;
  return !host || host.stale || host.lastSeen >= link.connectedSince;
}

export class NatsConnectionStatus {
  readonly #link: Link;
  readonly #metrics: Pick<ControllerMetrics, "natsConnected" | "natsReconnects">;
  readonly #log: Logger;
  #disconnectedAt = 0;

  constructor(nc: NatsConnection, metrics: Pick<ControllerMetrics, "natsConnected" | "natsReconnects">, log: Logger) {
    this.#link = { connected: !nc.isClosed(), connectedSince: Date.now() };
    this.#metrics = metrics;
    this.#log = log;
    metrics.natsConnected.set(this.#link.connected ? 1 : 0);
    void this.#follow(nc);
  }

  /** Since when the controller has been able to hear hosts; undefined while disconnected. */
  listeningSince(): number | undefined {
    return this.#link.connected ? this.#link.connectedSince : undefined;
  }

  blames(host: IndexedHost | undefined, startedAt: number): boolean {
    return failureCountsAgainstHost(this.#link, host, startedAt);
  }

  async #follow(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        this.#link.connected = false;
        this.#disconnectedAt = Date.now();
        this.#metrics.natsConnected.set(0);
        this.#log.warn({ server: s.server }, "disconnected from NATS; reconnecting (hosts' silence meanwhile is not held against them)");
      } else if (s.type === "reconnect") {
        this.#link.connected = true;
        this.#link.connectedSince = Date.now();
        this.#metrics.natsConnected.set(1);
        this.#metrics.natsReconnects.inc();
        this.#log.info({ server: s.server, downMs: this.#link.connectedSince - this.#disconnectedAt }, "reconnected to NATS");
      } else if (s.type === "error") {
        this.#log.error({ err: s.error.message }, "NATS error");
      }
    }
    this.#link.connected = false;
    this.#metrics.natsConnected.set(0);
  }
}
