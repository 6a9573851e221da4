// Kubernetes events (events.k8s.io/v1) about a DomainCpuidPolicy or CpuidPool. Best
// effort, like client-go's recorder: record() only queues the event and
// returns, a few senders post them, a full queue drops new events (counted),
// and a failed event is logged, never retried, and never fails a reconcile.
//
// Normal events (Applied, Staged, ResetToDefault) pass a token bucket: a
// fleet-wide rollout would otherwise add an event write to nearly every
// status write, and crowd Warnings (audit failures) out of the queue. The
// status carries the same facts. Warnings are never rate-limited.

import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { TokenBucket, type TokenBucketOptions } from "../runtime/token-bucket.ts";
import type { KubeRest } from "./kube-rest.ts";

export const REPORTING_CONTROLLER = "cpuidfleet.io/controller";

const MAX_QUEUED = 1000;
const SENDERS = 4;
const NORMAL_EVENTS: TokenBucketOptions = { perSecond: 10, burst: 100 };

export const EVENT_DROP_REASONS = ["queue-full", "rate-limited"] as const;
export type EventDropReason = (typeof EVENT_DROP_REASONS)[number];

/** The object an event is about; cluster-scoped ones get their events in "default", as client-go records them. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
}

const CLUSTER_EVENTS_NAMESPACE = "default";

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  action: string;
  note: string;
}

export class EventRecorder {
  readonly #rest: KubeRest;
  readonly #instance: string;
  readonly #log: Logger;
  readonly #onDropped: (reason: EventDropReason) => void;
  readonly #normalEvents = new TokenBucket(NORMAL_EVENTS, Date.now());
  readonly #queue: [EventSubject, EventSpec][] = [];
  #sending = 0;
  #idle: (() => void)[] = [];

  constructor(rest: KubeRest, instance: string, log: Logger, onDropped: (reason: EventDropReason) => void) {
    this.#rest = rest;
    this.#instance = instance;
    this.#log = log;
    this.#onDropped = onDropped;
  }

  record(obj: EventSubject, event: EventSpec): void {
    if (this.#queue.length >= MAX_QUEUED) {
      this.#onDropped("queue-full");
      return;
    }
    if (event.type === "Normal" && !this.#normalEvents.take(Date.now())) {
      this.#onDropped("rate-limited");
      return;
    }
    this.#queue.push([obj, event]);
    if (this.#sending < SENDERS) void this.#drain();
  }

  /** Resolves once every queued event has been sent (or failed). */
  flush(): Promise<void> {
    if (this.#queue.length === 0 && this.#sending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    this.#sending++;
    for (let next = this.#queue.shift(); next; next = this.#queue.shift()) await this.#send(...next);
    this.#sending--;
    if (this.#sending === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #send(obj: EventSubject, event: EventSpec): Promise<void> {
    const { name, namespace, uid, resourceVersion } = obj.metadata;
    const eventNamespace = namespace ?? CLUSTER_EVENTS_NAMESPACE;
    try {
      await this.#rest.sendForText("POST", `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(eventNamespace)}/events`, {
        body: {
          apiVersion: "events.k8s.io/v1",
          kind: "Event",
          metadata: { name: eventName(name!), namespace: eventNamespace },
          eventTime: microTime(new Date()),
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: this.#instance,
          type: event.type,
          reason: event.reason,
          action: event.action,
          note: event.note,
          regarding: { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace, uid, resourceVersion },
        },
      });
    } catch (err) {
      this.#log.warn({ err: (err as Error).message, object: `${namespace}/${name}`, reason: event.reason }, "could not record event");
    }
  }
}

/** RFC 3339 with microseconds, the form events.k8s.io/v1 requires of eventTime */
function microTime(at: Date): string {
  return at.toISOString().replace(/Z$/, "000Z");
}

let sequence = 0;

/** `<object>.<hex>`, unique per process and time, as client-go names events. */
function eventName(objectName: string): string {
  sequence = (sequence + 1) % 0x10000;
  return `${objectName}.${Date.now().toString(16)}${sequence.toString(16).padStart(4, "0")}`;
}
