// The controller's answer to an overloaded apiserver. A 429 (the
// max-requests-inflight limit, or API Priority and Fairness rejecting the
// controller's flow) closes the gate for every write: for the Retry-After the
// apiserver asked, or an exponential backoff when that is longer. When the
// gate reopens one write goes first as a probe; the others wait for its
// outcome, so a throttled apiserver sees one request per backoff period from
// this controller, not one per worker or per object. The first success opens
// the gate again and resets the backoff.

import { setTimeout as sleep } from "node:timers/promises";
import { backoffDelay, type BackoffOptions } from "../runtime/backoff.ts";
import { httpStatusOf } from "./object-writer.ts";

export interface ThrottleEvents {
  /** a 429, with the delay the gate now stays closed */
  throttled(delayMs: number): void;
  /** the gate closed (true) or opened again (false) */
  gate(closed: boolean): void;
}

export class ApiserverThrottle {
  readonly #backoff: BackoffOptions;
  readonly #events: ThrottleEvents;
  readonly #stopping = new AbortController();
  /** closures in a row without a success; 0 = open */
  #closures = 0;
  /** bumped by each closure: a 429 of a request sent before it says nothing new */
  #generation = 0;
  #closedUntil = 0;
  #probe: Promise<void> | undefined;

  constructor(backoff: BackoffOptions, events: ThrottleEvents) {
    this.#backoff = backoff;
    this.#events = events;
  }

  get closed(): boolean {
    return this.#closures > 0;
  }

  /** Runs one apiserver call through the gate; its result or error is the call's. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    while (this.#closures > 0) {
      const wait = this.#closedUntil - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: this.#stopping.signal });
      else if (this.#probe) await this.#probe;
      else return this.#runProbe(call);
    }
    return this.#attempt(call);
  }

  /** Wakes every waiting call with an AbortError (the controller is stopping). */
  stop(): void {
    this.#stopping.abort();
  }

  #runProbe<T>(call: () => Promise<T>): Promise<T> {
    const result = this.#attempt(call);
    this.#probe = result.then(
      () => undefined,
      () => undefined,
    );
    void this.#probe.then(() => (this.#probe = undefined));
    return result;
  }

  async #attempt<T>(call: () => Promise<T>): Promise<T> {
    const generation = this.#generation;
    try {
      const result = await call();
      if (this.#closures > 0) {
        this.#closures = 0;
        this.#events.gate(false);
      }
      return result;
    } catch (err) {
      if (httpStatusOf(err) === 429) this.#close(generation, retryAfterMs(err));
      throw err;
    }
  }

  #close(sentInGeneration: number, retryAfter: number): void {
    const fresh = sentInGeneration === this.#generation;
    if (fresh) {
      this.#generation++;
      this.#closures++;
      if (this.#closures === 1) this.#events.gate(true);
    }
    const delay = Math.max(retryAfter, backoffDelay(this.#closures, this.#backoff));
    this.#closedUntil = Math.max(this.#closedUntil, Date.now() + delay);
    this.#events.throttled(delay);
  }
}

/** The Retry-After of an apiserver error in ms (seconds form, as the apiserver sends it); 0 when absent. */
export function retryAfterMs(err: unknown): number {
  const headers = (err as { headers?: Record<string, string> }).headers;
  const value = headers?.["retry-after"] ?? headers?.["Retry-After"];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}
