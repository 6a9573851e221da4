import { describe, expect, it } from "vitest";
import { failureCountsAgainstHost } from "../../../controller/hosts/nats-connection-status.ts";

const link = { connected: true, connectedSince: 10_000 };

describe("failureCountsAgainstHost", () => {
  it("holds an unanswered request against a host heard from on the current connection", () => {
    expect(failureCountsAgainstHost(link, { lastSeen: 10_000, stale: false }, 12_000)).toBe(true);
  });

  it("holds nothing against a host while the controller is disconnected", () => {
    expect(failureCountsAgainstHost({ ...link, connected: false }, { lastSeen: 11_000, stale: false }, 12_000)).toBe(false);
    expect(failureCountsAgainstHost({ ...link, connected: false }, { lastSeen: 0, stale: true }, 12_000)).toBe(false);
  });

  it("holds nothing against a host for a request that started before the controller's last reconnect", () => {
    expect(failureCountsAgainstHost(link, { lastSeen: 11_000, stale: false }, 9_999)).toBe(false);
  });

  it("after a reconnect, holds nothing against a host until it is heard from again or goes stale", () => {
    expect(failureCountsAgainstHost(link, { lastSeen: 9_999, stale: false }, 12_000)).toBe(false);
    expect(failureCountsAgainstHost(link, { lastSeen: 9_999, stale: true }, 12_000)).toBe(true);
  });
});
