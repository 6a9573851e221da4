import { beforeAll, describe, expect, it } from "vitest";
import { HostIndex, type HostChange } from "../../../controller/hosts/host-index.ts";
import { hostObjectName, hostStatus } from "../../../controller/host-mirror/host-status.ts";
import type { HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "./host-fixture.ts";

let haswell: HostPolicies;
let sapphire: HostPolicies;
beforeAll(async () => {
  haswell = await hostPoliciesFrom("h1", HASWELL);
  sapphire = await hostPoliciesFrom("h1", SAPPHIRE_RAPIDS);
});

function recording() {
  const changes: [string, HostChange][] = [];
  const index = new HostIndex((h, c) => changes.push([h, c]));
  return { index, changes };
}

describe("HostIndex", () => {
  it("reports added, then updated only when the policies change, not on a re-publication of the same", () => {
    const { index, changes } = recording();
    index.put(haswell, 0);
    index.put({ ...haswell, publishedAt: "2026-11-26T10:05:00.000Z" }, 10);
    index.put(sapphire, 20);
    expect(changes).toEqual([["h1", "added"], ["h1", "updated"]]);
    expect(index.get("h1")?.record.published.cpu.model).toBe(sapphire.cpu.model);
  });

  it("turns a host silent for three of its heartbeat intervals stale, and fresh again on a heartbeat", () => {
    const { index, changes } = recording();
    index.put({ ...haswell, heartbeatIntervalSeconds: 1 }, 0);
    index.checkStaleness(2900);
    index.seen("h1", 2900);
    index.checkStaleness(5900);
    expect(index.counts()).toEqual({ ready: 1, stale: 0 });
    index.checkStaleness(5901);
    index.checkStaleness(7000);
    expect(index.counts()).toEqual({ ready: 0, stale: 1 });
    index.seen("h1", 7100);
    index.seen("unknown", 7100);
    expect(changes.map(([, c]) => c)).toEqual(["added", "stale", "fresh"]);
  });

  it("judges a host that does not announce its interval by the agents' default (15 s)", () => {
    const { index } = recording();
    index.put(haswell, 0);
    index.checkStaleness(45_000);
    expect(index.counts()).toEqual({ ready: 1, stale: 0 });
    index.checkStaleness(45_001);
    expect(index.counts()).toEqual({ ready: 0, stale: 1 });
  });

  it("counts silence only from when the controller could listen again (its NATS reconnect)", () => {
    const { index } = recording();
    index.put({ ...haswell, heartbeatIntervalSeconds: 1 }, 0);
    index.checkStaleness(10_000, 8_000);
    expect(index.counts()).toEqual({ ready: 1, stale: 0 });
    index.checkStaleness(11_001, 8_000);
    expect(index.counts()).toEqual({ ready: 0, stale: 1 });
  });

  it("does not take a replay of an unchanged entry (a watch re-established) as news from the host", () => {
    const { index, changes } = recording();
    index.put({ ...haswell, heartbeatIntervalSeconds: 1 }, 0);
    index.put({ ...haswell, heartbeatIntervalSeconds: 1 }, 2_000, false);
    expect(index.get("h1")?.lastSeen).toBe(0);
    index.checkStaleness(3_001);
    index.put({ ...haswell, heartbeatIntervalSeconds: 1 }, 3_500, false);
    expect(index.counts()).toEqual({ ready: 0, stale: 1 });
    index.put({ ...haswell, heartbeatIntervalSeconds: 1 }, 4_000);
    expect(changes.map(([, c]) => c)).toEqual(["added", "stale", "fresh"]);
  });

  it("reports a removal once", () => {
    const { index, changes } = recording();
    index.put(haswell, 0);
    index.remove("h1");
    index.remove("h1");
    expect(changes.map(([, c]) => c)).toEqual(["added", "removed"]);
    expect(index.size).toBe(0);
  });
});

describe("HostCpuidPolicy status", () => {
  it("names objects by host id when valid, else by a stable digest", () => {
    expect(hostObjectName("host-a")).toBe("host-a");
    expect(hostObjectName("Host_A")).toMatch(/^host-[0-9a-f]{20}$/);
    expect(hostObjectName("Host_A")).toBe(hostObjectName("Host_A"));
  });

  it("summarises the published policies without leaves and keeps lastSeen coarse", () => {
    const { index } = recording();
    const t0 = Date.parse("2026-11-26T10:00:00Z");
    index.put(haswell, t0);
    const s1 = hostStatus(index.get("h1")!, undefined, new Date(t0), 60_000);
    expect(s1).toMatchObject({ hostId: "h1", vendor: haswell.cpu.vendor, family: 6, fingerprint: haswell.fingerprint.digest, lastSeen: "2026-11-26T10:00:00Z" });
    expect(s1.policies!.hvm_max).toEqual({ hash: haswell.hashes.hvm_max, featureset: haswell.policies.hvm_max.featureset, featureCount: haswell.policies.hvm_max.features.length });
    expect(JSON.stringify(s1)).not.toContain("leaves");
    expect(s1.conditions?.map((c) => [c.type, c.status])).toEqual([["Ready", "True"], ["Stale", "False"]]);

    index.seen("h1", t0 + 30_000);
    expect(hostStatus(index.get("h1")!, s1, new Date(t0 + 30_000), 60_000)).toEqual(s1);
    index.seen("h1", t0 + 61_000);
    expect(hostStatus(index.get("h1")!, s1, new Date(t0 + 61_000), 60_000).lastSeen).toBe("2026-11-26T10:01:01Z");

    index.checkStaleness(t0 + 200_000);
    const stale = hostStatus(index.get("h1")!, s1, new Date(t0 + 200_000), 60_000);
    expect(stale.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([["Ready", "False", "Stale"], ["Stale", "True", "NoHeartbeat"]]);
  });
});
