import { describe, expect, it } from "vitest";
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS, hostLiveness, staleAfterMs } from "../../../shared/nats/host-liveness.ts";

describe("hostLiveness", () => {
  it("calls a host stale once it has been silent for more than three of its heartbeat intervals", () => {
    expect(hostLiveness(1_000, 1_000 + 30_000, 10)).toBe("ok");
    expect(hostLiveness(1_000, 1_000 + 30_001, 10)).toBe("stale");
    expect(hostLiveness(0, 3_000, 1)).toBe("ok");
    expect(hostLiveness(0, 3_001, 1)).toBe("stale");
  });

  it("judges a host that does not announce its interval by the agents' default, 15 s: stale after 45 s", () => {
    expect(DEFAULT_HEARTBEAT_INTERVAL_SECONDS).toBe(15);
    expect(staleAfterMs()).toBe(45_000);
    expect(hostLiveness(0, 45_000)).toBe("ok");
    expect(hostLiveness(0, 45_001)).toBe("stale");
  });

  it("a heartbeat from the future (clock skew) is ok", () => {
    expect(hostLiveness(5_000, 1_000, 1)).toBe("ok");
  });
});
