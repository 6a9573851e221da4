// Serves cpuid.v1.host.<token>.{set,get,domains} for this host only: every
// message is handed to the request logic and answered exactly once; a
// malformed one gets an error reply, a metric and a log line. Sets run one
// at a time: each reads the domain, checks generation, duplicates and guest
// type, then writes, and two interleaved sets could both pass the checks.

import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { hostSubject } from "../shared/nats/subjects.ts";
import { handleRequest, type HandlerContext, type Operation } from "./handlers.ts";
import type { AgentMetrics } from "./metrics.ts";
import { Serial } from "./serial.ts";

const OPERATIONS: readonly Operation[] = ["set", "get", "domains"];

export class RequestServer {
  readonly #subs: Subscription[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #sets = new Serial();
  readonly #ctx: HandlerContext;
  readonly #metrics: AgentMetrics;
  readonly #log: Logger;

  constructor(ctx: HandlerContext, metrics: AgentMetrics, log: Logger) {
    this.#ctx = ctx;
    this.#metrics = metrics;
    this.#log = log;
  }

  listen(nc: NatsConnection): void {
    for (const op of OPERATIONS) {
      const subject = hostSubject(this.#ctx.hostId, op);
      this.#subs.push(nc.subscribe(subject, { callback: (err, msg) => (err ? this.#log.error({ err, subject }, "subscription failed") : this.#serve(op, msg)) }));
    }
  }

  get listening(): boolean {
    return this.#subs.length > 0 && this.#subs.every((s) => !s.isClosed());
  }

  /** Stop taking requests and wait for those being handled to be answered. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.#subs.map((s) => s.drain()));
    await Promise.allSettled([...this.#inFlight]);
  }

  #serve(op: Operation, msg: Msg): void {
    const started = process.hrtime.bigint();
    const handled = op === "set" ? this.#sets.run(() => handleRequest(op, msg.data, this.#ctx)) : handleRequest(op, msg.data, this.#ctx);
    const task = handled.then(({ reply, outcome }) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.#metrics.requests.inc({ op, result: outcome });
      this.#metrics.requestSeconds.observe({ op }, seconds);
      if (!reply.ok) {
        this.#metrics.requestErrors.inc({ code: reply.error.code });
        this.#log.warn({ op, subject: msg.subject, code: reply.error.code, error: reply.error.message, bytes: msg.data.byteLength }, "request refused");
      } else {
        this.#log.info({ op, outcome, ms: Math.round(seconds * 1e4) / 10, ...describe(reply) }, "request handled");
      }
      if (!msg.reply) {
        this.#log.warn({ op, subject: msg.subject }, "request without a reply subject; nothing to answer");
        return;
      }
      if (!msg.respond(JSON.stringify(reply))) this.#log.warn({ op }, "reply could not be sent");
    });
    const tracked = task.catch((err: unknown) => this.#log.error({ err, op }, "request handling failed")).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }
}

function describe(reply: object): Record<string, unknown> {
  const r = reply as { domain?: unknown; requestId?: string; result?: string; duplicate?: boolean };
  return typeof r.domain === "string" ? { domain: r.domain, requestId: r.requestId, result: r.result, duplicate: r.duplicate } : {};
}
