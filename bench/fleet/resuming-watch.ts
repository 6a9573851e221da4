// A watch that continues from the last resource version it saw when the
// apiserver ends it (as it does after a while, or when it restarts), until
// stopped.

import { type KubeConfig, Watch } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";

export class ResumingWatch<T extends { metadata?: { resourceVersion?: string } }> {
  readonly #watch: Watch;
  readonly #path: string;
  readonly #query: Record<string, string>;
  readonly #onEvent: (type: string, obj: T) => void;
  #resourceVersion: string | undefined;
  #abort: AbortController | undefined;
  #stopped = false;
  /** times the watch ended and was started again */
  restarts = 0;
  /** times the apiserver said the version was gone, so the watch started again from the current objects */
  relists = 0;

  constructor(kubeConfig: KubeConfig, path: string, query: Record<string, string>, onEvent: (type: string, obj: T) => void) {
    this.#watch = new Watch(kubeConfig);
    this.#path = path;
    this.#query = query;
    this.#onEvent = onEvent;
  }

  async start(): Promise<void> {
    this.#abort = await this.#watch.watch(
      this.#path,
      { ...this.#query, allowWatchBookmarks: true, ...(this.#resourceVersion ? { resourceVersion: this.#resourceVersion } : {}) },
      (type: string, obj: T) => {
        if (type === "ERROR") {
          // e.g. 410 Gone after an apiserver restart: the version is too old; start again from the current objects
          this.#resourceVersion = undefined;
          this.relists++;
          return;
        }
        this.#resourceVersion = obj.metadata?.resourceVersion ?? this.#resourceVersion;
        this.#onEvent(type, obj);
      },
      () => void this.#restart(),
    );
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }

  async #restart(): Promise<void> {
    this.restarts++;
    while (!this.#stopped) {
      await sleep(100);
      try {
        await this.start();
        return;
      } catch {
        // the apiserver is away (restarting): try again
      }
    }
  }
}
