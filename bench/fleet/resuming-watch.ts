// A watch that continues from the last resource version it saw when the
// apiserver ends it (as it does after a while, or when it restarts), until
// stopped. It starts, and starts again after a 410 Gone, from a list and the
// list's resource version, as informers do: a watch started without a version
// sends the current objects first, in key order, and a resume from the version
// of one of them (should that stream end part-way, or later) skips every
// object listed after it that has not changed since.

import { type KubeConfig, Watch } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";

type Versioned = { metadata?: { resourceVersion?: string } };
export type ListObjects<T> = () => Promise<{ metadata?: { resourceVersion?: string }; items: T[] }>;

export class ResumingWatch<T extends Versioned> {
  readonly #watch: Watch;
  readonly #path: string;
  readonly #query: Record<string, string>;
  readonly #list: ListObjects<T>;
  readonly #onEvent: (type: string, obj: T) => void;
  #resourceVersion: string | undefined;
  #abort: AbortController | undefined;
  #stopped = false;
  /** times the watch ended and was started again */
  restarts = 0;
  /** times the objects were listed again because the apiserver no longer had the version (410 Gone) */
  relists = 0;

  /** `list` lists what `path` and `query` select; its objects are reported as ADDED. */
  constructor(kubeConfig: KubeConfig, path: string, query: Record<string, string>, list: ListObjects<T>, onEvent: (type: string, obj: T) => void) {
    this.#watch = new Watch(kubeConfig);
    this.#path = path;
    this.#query = query;
    this.#list = list;
    this.#onEvent = onEvent;
  }

  async start(): Promise<void> {
    if (this.#resourceVersion === undefined) {
      const listed = await this.#list();
      for (const obj of listed.items) this.#onEvent("ADDED", obj);
      this.#resourceVersion = listed.metadata?.resourceVersion;
    }
    this.#abort = await this.#watch.watch(
      this.#path,
      { ...this.#query, allowWatchBookmarks: true, ...(this.#resourceVersion ? { resourceVersion: this.#resourceVersion } : {}) },
      (type: string, obj: T) => {
        if (type === "ERROR") {
          // e.g. 410 Gone after an apiserver restart: the version is too old; list again
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
