// An agent started while NATS cannot be reached keeps trying, and says why:
// each failed attempt is logged and /readyz gives the last attempt's error.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";
import { freePorts } from "../../../devenv/plane/ports.ts";
import { attachPlane } from "../../harness/context.ts";
import { startAgent } from "../../support/daemons.ts";

const ALDERLAKE = join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt");

describe("an agent waiting for NATS", () => {
  it("logs every failed attempt and reports the last one on /readyz", { timeout: 30_000 }, async () => {
    const seedFile = await attachPlane().addNatsHost("nats-unreachable");
    const [closedPort] = await freePorts(1);
    const launch = { hostId: "nats-unreachable", natsUrl: `nats://127.0.0.1:${closedPort}`, seedFile, args: ["--probe", "file", "--probe-file", ALDERLAKE], readyTimeoutMs: 4_000 };
    const failure = (await startAgent(launch).catch((err: unknown) => err)) as Error;
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toMatch(/not ready after 4s \(last check: \/readyz 503: not ready: not connected to NATS \(last attempt: connection refused\)\)/);
    const retries = failure.message.split("\n").filter((line) => line.includes("cannot connect to NATS yet; retrying"));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(retries[0])).toMatchObject({ level: 40, attempt: 1, err: "connection refused" });
    // the waits double from 100 ms (±20 % jitter): nats.js's own calls to its reconnect delay handler do not advance them
    const waits = retries.map((line) => (JSON.parse(line) as { retryInMs: number }).retryInMs);
    waits.forEach((ms, i) => expect(ms, `wait after attempt ${i + 1}: ${waits.join(", ")} ms`).toBeGreaterThanOrEqual(0.8 * 100 * 2 ** i));
    waits.forEach((ms, i) => expect(ms, `wait after attempt ${i + 1}: ${waits.join(", ")} ms`).toBeLessThanOrEqual(1.2 * 100 * 2 ** i));
    // the harness asked the stuck daemon where it waits: its metrics port listens, a timer holds the next attempt
    expect(failure.message).toMatch(/diagnostic report \S+report\.\S+\.json: active libuv handles:\n(.*\n)* {2}tcp \S+:\d+ -> -\n/);
    expect(failure.message).toMatch(/\n {2}timer fires in \d+ ms\n/);
  });
});
