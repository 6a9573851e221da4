// Retrying an assertion or read until it passes, for state that converges
// (a server reconnecting after a restart, a controller catching up).

import { setTimeout as sleep } from "node:timers/promises";

export async function eventually<T>(what: string, attempt: () => Promise<T>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${timeoutMs} ms: ${(err as Error).message}`, { cause: err });
      await sleep(intervalMs);
    }
  }
}
