// A client-node informer that keeps itself alive: client-node stops an
// informer on any error other than 410 Gone and never restarts it, so this
// restarts it with exponential backoff, or after the apiserver's Retry-After
// when that is longer (a 429 while its cache of a new resource is still
// filling asks for a second). A watch that died silently is
// bounded by the apiserver, which ends every watch after 30–60 minutes
// (--min-request-timeout), and by TCP keep-alive; the controller's periodic
// resync re-reconciles from the cache meanwhile. (Restarting a healthy watch
// from here is unsafe: client-node's aborted stream reports its end late and
// would abort the new one.)

import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { backoffDelay, type BackoffOptions } from "../runtime/backoff.ts";
import { describeApiError, retryAfterMs } from "./api-error.ts";

export interface ResilientInformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  log: Logger;
  backoff: BackoffOptions;
  onAdd?: (obj: T) => void;
  onUpdate?: (obj: T) => void;
  onDelete?: (obj: T) => void;
}

export class ResilientInformer<T extends KubernetesObject> {
  readonly #o: ResilientInformerOptions<T>;
  readonly #informer: Informer<T> & ObjectCache<T>;
  #failures = 0;
  #errors = 0;
  /** what the last error's answer asked for (Retry-After), in ms */
  #retryAfter = 0;
  #stopped = false;
  #synced = false;
  #restartTimer?: NodeJS.Timeout;

  constructor(options: ResilientInformerOptions<T>) {
    this.#o = options;
    this.#informer = makeInformer<T>(options.kubeConfig, options.path, options.list);
    // The cache holds the very objects these events carry: trimming them here
    // keeps server-side-apply bookkeeping (often half an object) out of memory.
    this.#informer.on("add", (obj) => {
      dropManagedFields(obj);
      options.onAdd?.(obj);
    });
    this.#informer.on("update", (obj) => {
      dropManagedFields(obj);
      options.onUpdate?.(obj);
    });
    if (options.onDelete) this.#informer.on("delete", options.onDelete);
    this.#informer.on("error", (err) => this.#failed(err));
  }

  /** True once a list has succeeded (the cache reflects the server). */
  get synced(): boolean {
    return this.#synced;
  }

  list(): readonly T[] {
    return this.#informer.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#informer.get(name, namespace);
  }

  /** Starts (retrying until a list succeeds or stop()); resolves once synced. */
  async start(): Promise<void> {
    while (!this.#stopped && !this.#synced) {
      await this.#startOnce();
      if (!this.#synced && !this.#stopped) await new Promise((r) => setTimeout(r, this.#restartDelay()));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    await this.#informer.stop();
  }

  async #startOnce(): Promise<void> {
    const errorsBefore = this.#errors;
    await this.#informer.start();
    if (this.#errors === errorsBefore) {
      this.#synced = true;
      this.#failures = 0;
    }
  }

  #failed(err: unknown): void {
    this.#errors++;
    this.#failures++;
    this.#retryAfter = retryAfterMs(err);
    if (this.#stopped) return;
    const delay = this.#restartDelay();
    this.#o.log.warn({ err: describeApiError(err), path: this.#o.path, retryInMs: delay }, "informer stopped; restarting");
    // start() retries on its own until the first sync
    if (!this.#synced) return;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => void this.#startOnce(), delay);
  }

  #restartDelay(): number {
    return Math.max(backoffDelay(this.#failures, this.#o.backoff), this.#retryAfter);
  }
}

/** Set to undefined, not deleted: deleting turns the parsed metadata into a dictionary, 2–3 times the size (BENCHMARKS.md). */
function dropManagedFields(obj: KubernetesObject): void {
  if (obj.metadata?.managedFields) obj.metadata.managedFields = undefined;
}

