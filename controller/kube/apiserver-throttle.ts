// The controller's answer to an overloaded apiserver. A 429 (the
// max-requests-inflight limit, or API Priority and Fairness rejecting the
// controller's flow) closes the gate for every write: for the Retry-After the
// apiserver asked, or an exponential backoff when that is longer. When the
// hold ends, writes resume one at a time and their concurrency doubles with
// each success (slow start), so an apiserver that admits only a few of the
// controller's requests at once sees a handful of rejections per hold, not
// one per worker or per object. Once the concurrency reaches the number of
// workers, or a write succeeds with none waiting, the gate is open again and
// the backoff reset.

import { setTimeout as sleep } from "node:timers/promises";
import { backoffDelay, type BackoffOptions } from "../runtime/backoff.ts";
import { httpStatusOf, retryAfterMs } from "./api-error.ts";

export interface ThrottleEvents {
  /** a 429, with the delay the gate now stays closed */
  throttled(delayMs: number): void;
  /** the gate closed (true) or opened fully again (false) */
  gate(closed: boolean): void;
}

export interface ThrottleOptions extends BackoffOptions {
  /** concurrency at which the gate counts as open again (the controller's workers) */
  openAt: number;
}

export class ApiserverThrottle {
  readonly #options: ThrottleOptions;
  readonly #events: ThrottleEvents;
  readonly #stopping = new AbortController();
  /** closures in a row without the gate opening fully; 0 = open */
  #closures = 0;
  /** bumped by each closure: a 429 of a request sent before it says nothing new */
  #generation = 0;
  #closedUntil = 0;
  /** writes allowed at once while the gate is closed (after the hold) */
  #allowed = 1;
  #inFlight = 0;
  #waiting = 0;
  /** resolves when an attempt settles, for writes waiting for a free slot */
  #settled = Promise.withResolvers<void>();

  constructor(options: ThrottleOptions, events: ThrottleEvents) {
    this.#options = options;
    this.#events = events;
  }

  get closed(): boolean {
    return this.#closures > 0;
  }

  /** Runs one apiserver call through the gate; its result or error is the call's. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    this.#waiting++;
    try {
      while (this.#closures > 0) {
        const wait = this.#closedUntil - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal: this.#stopping.signal });
        else if (this.#inFlight >= this.#allowed) await this.#nextSettled();
        else break;
      }
    } finally {
      this.#waiting--;
    }
    return this.#attempt(call);
  }

  /** Wakes every waiting call with an AbortError (the controller is stopping). */
  stop(): void {
    this.#stopping.abort();
    this.#settled.resolve();
  }

  #nextSettled(): Promise<void> {
    this.#stopping.signal.throwIfAborted();
    return this.#settled.promise;
  }

  async #attempt<T>(call: () => Promise<T>): Promise<T> {
    const generation = this.#generation;
    this.#inFlight++;
    try {
      const result = await call();
      if (this.#closures > 0 && generation === this.#generation) this.#succeeded();
      return result;
    } catch (err) {
      if (httpStatusOf(err) === 429) this.#close(generation, retryAfterMs(err));
      throw err;
    } finally {
      this.#inFlight--;
      const settled = this.#settled;
      this.#settled = Promise.withResolvers<void>();
      settled.resolve();
    }
  }

  #succeeded(): void {
    this.#allowed *= 2;
    if (this.#allowed < this.#options.openAt && this.#waiting > 0) return;
    this.#closures = 0;
    this.#events.gate(false);
  }

  #close(sentInGeneration: number, retryAfter: number): void {
    if (sentInGeneration === this.#generation) {
      this.#generation++;
      this.#closures++;
      this.#allowed = 1;
      if (this.#closures === 1) this.#events.gate(true);
    }
    const delay = Math.max(retryAfter, backoffDelay(this.#closures, this.#options));
    this.#closedUntil = Math.max(this.#closedUntil, Date.now() + delay);
    this.#events.throttled(delay);
  }
}

