// Request/reply over one inbox subscription, as nats.js's request() does,
// without its cost per request: nats.js builds an Error on every reply (to
// reject a promise that has already resolved) and a deferred promise and a
// timer object per request, about 3 % of the controller's CPU at fleet
// scale (BENCHMARKS.md, "Cutting the controller's own work per policy").
// Replies come to <inbox>.<n>; a reply that comes after its request timed
// out finds nothing waiting and is dropped.

import { createInbox, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";

export type RequestOutcome =
  | { kind: "reply"; msg: Msg }
  /** the server knows no subscriber of the subject */
  | { kind: "no-responders" }
  | { kind: "timeout" }
  /** not sent or no reply can come (connection closed, inbox subscription refused) */
  | { kind: "failed"; message: string };

interface Pending {
  settle: (outcome: RequestOutcome) => void;
  timer: NodeJS.Timeout;
}

export class RequestMux {
  readonly #nc: NatsConnection;
  readonly #inbox: string;
  readonly #pending = new Map<string, Pending>();
  #subscription?: Subscription;
  #next = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#inbox = createInbox();
  }

  /** Never rejects: every way a request can end is an outcome. */
  request(subject: string, payload: string, timeoutMs: number): Promise<RequestOutcome> {
    return new Promise((resolve) => {
      const id = String(this.#next++);
      const timer = setTimeout(() => this.#settle(id, { kind: "timeout" }), timeoutMs);
      this.#pending.set(id, { settle: resolve, timer });
      try {
        this.#subscribe();
        this.#nc.publish(subject, payload, { reply: `${this.#inbox}.${id}` });
      } catch (err) {
        this.#settle(id, { kind: "failed", message: (err as Error).message });
      }
    });
  }

  #subscribe(): void {
    if (this.#subscription) return;
    const subscription = this.#nc.subscribe(`${this.#inbox}.*`, {
      callback: (err, msg) => {
        if (err) return this.#failAll(`reply subscription ended: ${err.message}`);
        const id = msg.subject.slice(this.#inbox.length + 1);
        this.#settle(id, msg.data.length === 0 && msg.headers?.code === 503 ? { kind: "no-responders" } : { kind: "reply", msg });
      },
    });
    this.#subscription = subscription;
    // a connection closed or drained ends the subscription; nothing can answer what is waiting
    void subscription.closed.then((err) => {
      if (this.#subscription === subscription) this.#subscription = undefined;
      this.#failAll(err ? `reply subscription ended: ${err.message}` : "the NATS connection closed");
    });
  }

  #settle(id: string, outcome: RequestOutcome): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.settle(outcome);
  }

  #failAll(message: string): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, { kind: "failed", message });
  }
}
