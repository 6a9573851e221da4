import { describe, expect, it } from "vitest";
import { reconnectBackoff, reconnectDelayMs } from "../../../runtime/nats/reconnect-backoff.ts";

describe("NATS reconnect delays", () => {
  it("double from 100 ms per failure, within ±20 %, up to 5 s", () => {
    for (let failures = 1; failures <= 10; failures++) {
      const base = Math.min(5_000, 100 * 2 ** (failures - 1));
      for (let i = 0; i < 50; i++) {
        const ms = reconnectDelayMs(failures);
        expect(ms).toBeGreaterThanOrEqual(Math.floor(0.8 * base));
        expect(ms).toBeLessThanOrEqual(Math.ceil(1.2 * base));
      }
    }
  });

  it("follow one another in nats.js's handler and start again after reset()", () => {
    const backoff = reconnectBackoff();
    const first = [backoff.next(), backoff.next(), backoff.next()];
    expect(first[0]).toBeLessThanOrEqual(120);
    expect(first[2]).toBeGreaterThanOrEqual(320);
    backoff.reset();
    expect(backoff.next()).toBeLessThanOrEqual(120);
  });
});
