// Xen's own signal that domains come and go: xenstored fires the special
// watches @introduceDomain (a domain was built, its CPU policy already set,
// and introduced to xenstore) and @releaseDomain (a domain died).
// `xenstore-watch <path>` prints one line per firing, and one when the watch
// is registered. Each line calls `onFire`; without the tool (or when it dies)
// the caller's periodic poll is all there is, and that is logged.

import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Logger } from "pino";

export const XENSTORE_DOMAIN_WATCHES = ["@introduceDomain", "@releaseDomain"] as const;

const RESTART_DELAY_MS = 5_000;

export class XenstoreWatch {
  readonly #command: string;
  readonly #onFire: () => void;
  readonly #log: Logger;
  readonly #children = new Map<string, ChildProcess>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(command: string, onFire: () => void, log: Logger) {
    this.#command = command;
    this.#onFire = onFire;
    this.#log = log;
    for (const path of XENSTORE_DOMAIN_WATCHES) this.#start(path);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    for (const child of this.#children.values()) child.kill();
  }

  #start(path: string): void {
    const child = spawn(this.#command, [path], { stdio: ["ignore", "pipe", "pipe"] });
    this.#children.set(path, child);
    createInterface({ input: child.stdout }).on("line", () => this.#onFire());
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    child.once("error", (err) => this.#ended(path, err.message));
    child.once("exit", (code, signal) => this.#ended(path, stderr.trim() || `exit ${code ?? signal}`));
  }

  #ended(path: string, why: string): void {
    if (this.#closed || !this.#children.has(path)) return;
    this.#children.delete(path);
    this.#log.warn({ command: this.#command, path, err: why, retryInMs: RESTART_DELAY_MS }, "xenstore watch ended; domain starts are noticed by polling xl list until it is back");
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) this.#start(path);
    }, RESTART_DELAY_MS);
    timer.unref();
    this.#timers.add(timer);
  }
}
