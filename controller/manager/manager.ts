// Runs the registered controllers, in the manner of controller-runtime's
// manager: every replica keeps its watches subscribed (caches stay warm),
// only the leader runs work queues. On becoming leader each controller gets a
// fresh queue, its resync keys and its workers; on losing leadership the
// queues drop what is queued and the in-flight reconciles finish. A replica
// leading again starts its workers only once its previous ones have finished,
// so no key is ever reconciled twice at once.

import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { BackoffOptions } from "../runtime/backoff.ts";
import { WorkQueue, type HandlerResult } from "../runtime/work-queue.ts";
import { createManagerMetrics, type ManagerMetrics } from "./metrics.ts";
import type { Queue, Watch } from "./source.ts";

export interface ControllerRegistration {
  /** names the controller in logs; the `kind` label of cpuid_reconcile_duration_seconds */
  name: string;
  reconcile(key: string): Promise<HandlerResult>;
  workers: number;
  /** per-key retry backoff; the manager's when omitted */
  backoff?: BackoffOptions;
  /** keys to reconcile on becoming leader and at every resync */
  resync?: () => Iterable<string>;
  /** the events that enqueue keys (./source.ts) */
  watches?: readonly Watch[];
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

/** A leader election that calls back on winning and losing the lease; stop() steps down. */
export interface Elector {
  start(): void;
  stop(): Promise<void>;
}

export interface ManagerOptions {
  log: Logger;
  /** the registry the manager's metrics join */
  metrics: Registry;
  backoff: BackoffOptions;
  resyncMs: number;
  elect(callbacks: LeaderCallbacks): Elector;
}

interface Controller {
  registration: ControllerRegistration;
  /** only while leading */
  queue?: WorkQueue;
}

export class ControllerManager {
  readonly #o: ManagerOptions;
  readonly #metrics: ManagerMetrics;
  readonly #controllers: Controller[] = [];
  #elector?: Elector;
  /** the queues of the current leadership term */
  #term?: WorkQueue[];
  #resyncTimer?: NodeJS.Timeout;
  /** resolves once the workers of every earlier term have finished */
  #stopping: Promise<void> = Promise.resolve();

  constructor(options: ManagerOptions) {
    this.#o = options;
    this.#metrics = createManagerMetrics(options.metrics, { isLeader: () => this.leading, queueDepth: () => this.#queueDepth() });
  }

  get leading(): boolean {
    return this.#term !== undefined;
  }

  /** Adds a controller; its watches subscribe at once. Returns its queue, for other controllers to enqueue keys. */
  register(registration: ControllerRegistration): Queue {
    if (this.#elector) throw new Error(`controller ${registration.name} registered after the manager started`);
    if (this.#controllers.some((c) => c.registration.name === registration.name)) throw new Error(`controller ${registration.name} registered twice`);
    const controller: Controller = { registration };
    this.#controllers.push(controller);
    const queue: Queue = {
      add: (key) => controller.queue?.add(key),
      forget: (key) => controller.queue?.forget(key),
      get active() {
        return controller.queue !== undefined;
      },
    };
    for (const subscribe of registration.watches ?? []) subscribe(queue);
    return queue;
  }

  /** Starts campaigning for leadership. */
  start(): void {
    this.#elector = this.#o.elect({ onStartedLeading: () => this.#startLeading(), onStoppedLeading: () => this.#stopLeading() });
    this.#elector.start();
  }

  /** Steps down (releasing the lease) and waits for the workers to finish. */
  async stop(): Promise<void> {
    await this.#elector?.stop();
    await this.#stopping;
  }

  #startLeading(): void {
    this.#metrics.leaderTransitions.inc({ to: "leader" });
    const term = this.#controllers.map((c) => {
      const { name, backoff = this.#o.backoff } = c.registration;
      c.queue = new WorkQueue({ backoff, onError: (key, err) => this.#o.log.error({ err, kind: name, key }, "reconcile failed; retrying with backoff") });
      return c.queue;
    });
    this.#term = term;
    this.#resync();
    this.#resyncTimer = setInterval(() => this.#resync(), this.#o.resyncMs);
    this.#resyncTimer.unref();
    void this.#stopping.then(() => {
      if (this.#term !== term) return;
      this.#controllers.forEach((c, i) => term[i].run(c.registration.workers, this.#timed(c.registration)));
    });
  }

  #stopLeading(): void {
    this.#metrics.leaderTransitions.inc({ to: "follower" });
    clearInterval(this.#resyncTimer);
    const term = this.#term ?? [];
    this.#term = undefined;
    for (const c of this.#controllers) c.queue = undefined;
    // chained: a term that ends before its workers started must still wait for the term before it
    this.#stopping = Promise.all([this.#stopping, ...term.map((q) => q.shutdown())]).then(() => undefined);
  }

  #resync(): void {
    for (const c of this.#controllers) for (const key of c.registration.resync?.() ?? []) c.queue?.add(key);
  }

  #timed(registration: ControllerRegistration): (key: string) => Promise<HandlerResult> {
    return async (key) => {
      const end = this.#metrics.reconcileDuration.startTimer({ kind: registration.name });
      try {
        const result = await registration.reconcile(key);
        end({ result: result && "requeue" in result ? "retry" : "ok" });
        return result;
      } catch (err) {
        end({ result: "error" });
        throw err;
      }
    };
  }

  #queueDepth(): number {
    let depth = 0;
    for (const c of this.#controllers) depth += c.queue?.depth ?? 0;
    return depth;
  }
}
