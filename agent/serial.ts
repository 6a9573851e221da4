// Runs async tasks one at a time, in arrival order, so that a domain's record
// is never read and written by two requests at once.

export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => T | Promise<T>): Promise<T> {
    const next = this.#tail.then(task, task);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
