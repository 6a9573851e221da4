// Watches: how events reach a controller's work queue. A Source fans one
// kind of event (an informer's, the host index's) out to every watch on it;
// a watch maps each event to the keys it enqueues, through the queue handle
// the manager gave its controller.

/** A controller's work queue as its watches and other controllers see it. */
export interface Queue {
  /** Queues the key; dropped while this replica does not lead. */
  add(key: string): void;
  /** Clears the key's retry backoff. */
  forget(key: string): void;
  /** True while this replica leads and adds are taken. */
  readonly active: boolean;
}

export class Source<E> {
  readonly #handlers: ((event: E) => void)[] = [];

  emit(event: E): void {
    for (const handler of this.#handlers) handler(event);
  }

  subscribe(handler: (event: E) => void): void {
    this.#handlers.push(handler);
  }
}

/** Subscribes a controller's queue to a source; the manager calls it once, at register. */
export type Watch = (queue: Queue) => void;

export function watch<E>(source: Source<E>, handler: (event: E, queue: Queue) => void): Watch {
  return (queue) => source.subscribe((event) => handler(event, queue));
}
