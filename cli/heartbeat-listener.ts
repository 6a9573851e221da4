// Hosts' heartbeats heard while a command runs (`cpuidctl hosts list`): when
// each host was last heard from, and a wait until given hosts have been.

import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { HEARTBEAT_SUBJECT_WILDCARD } from "../shared/nats/subjects.ts";
import { decodeJson } from "../shared/schemas/decode-json.ts";
import { Heartbeat } from "../shared/schemas/host-policies.ts";

export class HeartbeatListener {
  readonly #heard = new Map<string, number>();
  readonly #sub: Subscription;
  #onHeard: () => void = () => undefined;

  constructor(nc: NatsConnection) {
    this.#sub = nc.subscribe(HEARTBEAT_SUBJECT_WILDCARD, {
      callback: (err, msg) => {
        if (err) return;
        const hb = decodeJson(Heartbeat, msg.data);
        if (!hb.success) return;
        this.#heard.set(hb.data.hostId, Date.now());
        this.#onHeard();
      },
    });
  }

  /** Local time (ms) of the host's last heartbeat heard, if any. */
  lastHeard(hostId: string): number | undefined {
    return this.#heard.get(hostId);
  }

  /** Resolves once every one of the hosts has been heard from, or after timeoutMs. */
  async waitFor(hostIds: readonly string[], timeoutMs: number): Promise<void> {
    const all = () => hostIds.every((h) => this.#heard.has(h));
    if (all() || timeoutMs <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#onHeard = () => {
        if (!all()) return;
        clearTimeout(timer);
        resolve();
      };
    });
    this.#onHeard = () => undefined;
  }

  stop(): void {
    this.#sub.unsubscribe();
  }
}
