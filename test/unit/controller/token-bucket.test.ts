import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../../controller/runtime/token-bucket.ts";

describe("TokenBucket", () => {
  it("allows a burst, then refills at the given rate, never beyond the burst", () => {
    const bucket = new TokenBucket({ perSecond: 10, burst: 3 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(50)).toBe(false);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(100)).toBe(false);
    // an hour idle refills only up to the burst
    const later = 3_600_000;
    expect([bucket.take(later), bucket.take(later), bucket.take(later), bucket.take(later)]).toEqual([true, true, true, false]);
  });

  it("ignores a clock that goes backwards", () => {
    const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, 1000);
    expect(bucket.take(1000)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(1000)).toBe(false);
    expect(bucket.take(2000)).toBe(true);
  });
});
