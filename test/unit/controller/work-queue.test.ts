import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { backoffDelay } from "../../../controller/runtime/backoff.ts";
import { WorkQueue } from "../../../controller/runtime/work-queue.ts";

const backoff = { baseMs: 5, maxMs: 40 };

describe("backoffDelay", () => {
  it("doubles from the base and stops at the cap", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 1000].map((n) => backoffDelay(n, backoff))).toEqual([0, 5, 10, 20, 40, 40, 40, 40]);
  });
});

describe("WorkQueue", () => {
  it("dedupes a key that is queued several times", async () => {
    const q = new WorkQueue({ backoff });
    const seen: string[] = [];
    q.add("a");
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.depth).toBe(2);
    q.run(1, async (k) => void seen.push(k));
    await sleep(20);
    await q.shutdown();
    expect(seen).toEqual(["a", "b"]);
  });

  it("never processes one key in two workers; an add while processing runs it once more afterwards", async () => {
    const q = new WorkQueue({ backoff });
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    q.run(4, async () => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(15);
      running--;
    });
    q.add("a");
    await sleep(2);
    q.add("a");
    q.add("a");
    await sleep(60);
    await q.shutdown();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it("bounds concurrency to the number of workers", async () => {
    const q = new WorkQueue({ backoff });
    let running = 0;
    let maxRunning = 0;
    q.run(3, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(10);
      running--;
    });
    for (let i = 0; i < 20; i++) q.add(`k${i}`);
    await sleep(120);
    await q.shutdown();
    expect(maxRunning).toBe(3);
  });

  it("retries a failing key with growing delays and forgets the failures after a success", async () => {
    const q = new WorkQueue({ backoff });
    const times: number[] = [];
    let calls = 0;
    const done = new Promise<void>((resolve) => {
      q.run(1, async () => {
        times.push(Date.now());
        if (++calls < 4) throw new Error(`boom ${calls}`);
        resolve();
      });
    });
    q.add("a");
    await done;
    await sleep(1);
    expect(q.failures("a")).toBe(0);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(4);
    expect(gaps[1]).toBeGreaterThanOrEqual(9);
    expect(gaps[2]).toBeGreaterThanOrEqual(19);
    await q.shutdown();
  });

  it("reports handler errors and requeues on { requeue: 'backoff' } without an error", async () => {
    const errors: string[] = [];
    const q = new WorkQueue({ backoff, onError: (k, e) => errors.push(`${k}:${(e as Error).message}`) });
    let calls = 0;
    q.run(1, async () => {
      calls++;
      if (calls === 1) throw new Error("x");
      if (calls === 2) return { requeue: "backoff" };
    });
    vi.useFakeTimers();
    try {
      q.add("a");
      await vi.advanceTimersByTimeAsync(100);
      expect(calls).toBe(3);
      await vi.advanceTimersByTimeAsync(1000);
      await q.shutdown();
    } finally {
      vi.useRealTimers();
    }
    expect(calls).toBe(3);
    expect(errors).toEqual(["a:x"]);
  });

  it("addAfter keeps the earliest pending delay and requeueAfterMs schedules a refresh", async () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue({ backoff });
      const seen: number[] = [];
      const start = Date.now();
      q.run(1, async () => {
        seen.push(Date.now() - start);
        if (seen.length === 1) return { requeueAfterMs: 10 };
      });
      q.addAfter("a", 200);
      q.addAfter("a", 5);
      expect(q.delayedCount).toBe(1);
      await vi.advanceTimersByTimeAsync(4);
      expect(seen).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(seen).toEqual([5]);
      await vi.advanceTimersByTimeAsync(10);
      expect(seen).toEqual([5, 15]);
      await vi.advanceTimersByTimeAsync(500);
      expect(seen).toEqual([5, 15]);
      await q.shutdown();
    } finally {
      vi.useRealTimers();
    }
  });

  it("shutdown drops queued keys and waits for in-flight work", async () => {
    const q = new WorkQueue({ backoff });
    let finished = 0;
    q.run(1, async () => {
      await sleep(20);
      finished++;
    });
    q.add("a");
    q.add("b");
    await sleep(2);
    await q.shutdown();
    expect(finished).toBe(1);
    q.add("c");
    expect(q.depth).toBe(0);
  });
});
