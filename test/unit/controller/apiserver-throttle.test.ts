import { describe, expect, it } from "vitest";
import { ApiserverThrottle } from "../../../controller/kube/apiserver-throttle.ts";

const tooMany = (retryAfter?: string) => Object.assign(new Error("HTTP-Code: 429"), { code: 429, headers: retryAfter === undefined ? {} : { "retry-after": retryAfter } });

function throttle(baseMs = 10, maxMs = 1_000, openAt = 4) {
  const delays: number[] = [];
  const gate: boolean[] = [];
  const t = new ApiserverThrottle({ baseMs, maxMs, openAt }, { throttled: (d) => delays.push(d), gate: (closed) => gate.push(closed) });
  return { t, delays, gate };
}

describe("ApiserverThrottle", () => {
  it("passes results and non-429 errors through untouched and stays open", async () => {
    const { t, delays } = throttle();
    expect(await t.run(() => Promise.resolve(7))).toBe(7);
    await expect(t.run(() => Promise.reject(Object.assign(new Error("gone"), { code: 404 })))).rejects.toThrow("gone");
    expect(t.closed).toBe(false);
    expect(delays).toEqual([]);
  });

  it("after a 429 and its hold, writes resume one at a time and their concurrency doubles with each success", async () => {
    const { t, gate } = throttle(10, 1_000, 4);
    await expect(t.run(() => Promise.reject(tooMany()))).rejects.toThrow("429");
    expect(t.closed).toBe(true);
    let running = 0;
    let peak = 0;
    const peaks: number[] = [];
    const releases: (() => void)[] = [];
    const writes = Array.from({ length: 7 }, () =>
      t.run(async () => {
        peak = Math.max(peak, ++running);
        await new Promise<void>((r) => releases.push(r));
        running--;
      }),
    );
    const settle = async (n: number) => {
      while (releases.length < n) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20)); // nothing more starts meanwhile
      peaks.push(peak);
      peak = 0;
      for (const release of releases.splice(0)) release();
    };
    await settle(1); // the first write alone
    await settle(2); // then two at once
    await settle(4); // then four: open again (openAt 4), the rest run freely
    await Promise.all(writes);
    expect(peaks).toEqual([1, 2, 4]);
    expect(t.closed).toBe(false);
    expect(gate).toEqual([true, false]);
  });

  it("each throttled write after a hold doubles the hold up to the cap; writes sent before a closure do not grow it", async () => {
    const { t, delays } = throttle(10, 40);
    // a burst of writes in flight together: the first 429 closes the gate, the others say nothing new
    await Promise.allSettled([1, 2, 3].map(() => t.run(() => Promise.reject(tooMany()))));
    expect(delays).toEqual([10, 10, 10]);
    for (let i = 0; i < 3; i++) await expect(t.run(() => Promise.reject(tooMany()))).rejects.toThrow();
    expect(delays.slice(3)).toEqual([20, 40, 40]);
  });

  it("honours a Retry-After longer than its backoff", async () => {
    const { t, delays } = throttle(10);
    await expect(t.run(() => Promise.reject(tooMany("2")))).rejects.toThrow();
    expect(delays).toEqual([2_000]);
  });

  it("stop() wakes waiting writes with an AbortError", async () => {
    const { t } = throttle(60_000, 60_000);
    await expect(t.run(() => Promise.reject(tooMany()))).rejects.toThrow();
    const waiting = t.run(() => Promise.resolve("never"));
    t.stop();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
  });
});

