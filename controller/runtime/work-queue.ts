// A rate-limited work queue in the style of client-go's: a key is queued at
// most once (dedupe), is never processed by two workers at once (an add
// during processing re-queues it afterwards), failures back off
// exponentially per key, and a fixed number of workers bounds concurrency.

import { backoffDelay, type BackoffOptions } from "./backoff.ts";

/** What a handler asks for after processing a key. */
export type HandlerResult =
  | void
  /** process again after an exponential per-key backoff (expected, retryable condition) */
  | { requeue: "backoff" }
  /** process again after a fixed delay (periodic refresh); resets the backoff */
  | { requeueAfterMs: number };

export type Handler = (key: string) => Promise<HandlerResult>;

export interface WorkQueueOptions {
  backoff: BackoffOptions;
  /** called with the key and error when a handler throws (the key is re-queued with backoff) */
  onError?: (key: string, error: unknown) => void;
}

export class WorkQueue {
  readonly #options: WorkQueueOptions;
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #addedWhileProcessing = new Set<string>();
  readonly #delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  #waiting: (() => void)[] = [];
  #shuttingDown = false;
  #workers: Promise<void>[] = [];

  constructor(options: WorkQueueOptions) {
    this.#options = options;
  }

  /** Keys waiting to be processed (not counting delayed ones). */
  get depth(): number {
    return this.#queued.size;
  }

  /** Keys waiting for a delayed re-add. */
  get delayedCount(): number {
    return this.#delayed.size;
  }

  add(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#processing.has(key)) {
      this.#addedWhileProcessing.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#waiting.shift()?.();
  }

  /** Adds the key after `delayMs`; an earlier pending delayed add wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#delayed.set(key, { at, timer });
  }

  /** Adds the key after its next exponential backoff delay. */
  addRateLimited(key: string): void {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    this.addAfter(key, backoffDelay(failures, this.#options.backoff));
  }

  /** Clears the key's backoff (after a success). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Starts `concurrency` workers that process keys with `handler` until shutdown. */
  run(concurrency: number, handler: Handler): void {
    for (let i = 0; i < concurrency; i++) this.#workers.push(this.#work(handler));
  }

  /** Stops taking new keys, drops queued and delayed ones, and waits for in-flight handlers. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#queued.clear();
    this.#addedWhileProcessing.clear();
    for (const wake of this.#waiting.splice(0)) wake();
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  async #next(): Promise<string | undefined> {
    while (!this.#shuttingDown) {
      const first = this.#queued.values().next();
      if (!first.done) {
        this.#queued.delete(first.value);
        return first.value;
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    return undefined;
  }

  async #work(handler: Handler): Promise<void> {
    for (;;) {
      const key = await this.#next();
      if (key === undefined) return;
      this.#processing.add(key);
      try {
        const result = await handler(key);
        if (result && "requeue" in result) {
          this.addRateLimited(key);
        } else {
          this.forget(key);
          if (result && "requeueAfterMs" in result) this.addAfter(key, result.requeueAfterMs);
        }
      } catch (error) {
        this.#options.onError?.(key, error);
        this.addRateLimited(key);
      } finally {
        this.#processing.delete(key);
        if (this.#addedWhileProcessing.delete(key)) this.add(key);
      }
    }
  }
}
