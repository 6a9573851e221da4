// Which events enqueue which keys, per reconciler: each controller's
// registration runs in a real manager (leading), with a reconcile that
// records the keys it is given.

import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { Registry } from "prom-client";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { orphanResetController } from "../../../controller/domain-policy/orphan-reset-watch.ts";
import { PolicyEvents } from "../../../controller/domain-policy/policy-events.ts";
import { PolicyIndex } from "../../../controller/domain-policy/policy-index.ts";
import { domainPolicyController } from "../../../controller/domain-policy/watch.ts";
import { hostMirrorController } from "../../../controller/host-mirror/watch.ts";
import { poolController } from "../../../controller/pool/watch.ts";
import type { ObjectChange } from "../../../controller/manager/object-change.ts";
import type { CpuidPoolObject } from "../../../shared/api/v1alpha1/cpuid-pool.ts";
import { LEVEL_ANNOTATION, RELEVEL_CONFIRM_ANNOTATION } from "../../../shared/pool/level-annotation.ts";
import type { HostEvent } from "../../../controller/hosts/host-events.ts";
import { HostIndex } from "../../../controller/hosts/host-index.ts";
import type { DomainCpuidPolicyObject } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { ControllerManager, type ControllerRegistration, type LeaderCallbacks } from "../../../controller/manager/manager.ts";
import { Source } from "../../../controller/manager/source.ts";
import type { HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { HASWELL, hostPoliciesFrom } from "./host-fixture.ts";

let haswell: HostPolicies;
beforeAll(async () => {
  haswell = await hostPoliciesFrom("h1", HASWELL);
});

function policy(name: string, spec: { host?: string; domain?: string; baseline?: string; pool?: string }, generation = 1, createdAt = "2026-12-01T00:00:00Z"): DomainCpuidPolicyObject {
  return { apiVersion: "cpuidfleet.io/v1alpha1", kind: "DomainCpuidPolicy", metadata: { name, namespace: "ns", uid: `uid-${name}`, generation, creationTimestamp: new Date(createdAt) }, spec };
}

/** Registers the controller with a leading manager whose reconcile records keys; `leading: false` keeps it a follower. */
function run(build: (reconcile: (key: string) => Promise<undefined>) => ControllerRegistration, leading = true) {
  const seen: string[] = [];
  let callbacks!: LeaderCallbacks;
  const manager = new ControllerManager({
    log: pino({ level: "silent" }),
    metrics: new Registry(),
    backoff: { baseMs: 5, maxMs: 20 },
    resyncMs: 60_000,
    elect: (cb) => ((callbacks = cb), { start() {}, stop: async () => (leading ? cb.onStoppedLeading() : undefined) }),
  });
  const queue = manager.register(
    build(async (key) => {
      seen.push(key);
      return undefined;
    }),
  );
  manager.start();
  if (leading) callbacks.onStartedLeading();
  return {
    seen,
    queue,
    /** waits until these keys were reconciled (in any order), then forgets what was seen */
    expectReconciled: async (...keys: string[]) => {
      await vi.waitFor(() => expect([...seen].sort()).toEqual([...keys].sort()));
      await sleep(10);
      expect([...seen].sort()).toEqual([...keys].sort());
      seen.length = 0;
    },
    stop: () => manager.stop(),
  };
}

describe("domain policy watch", () => {
  function domainPolicies() {
    const policies = new PolicyIndex();
    const policyEvents = new PolicyEvents(policies);
    const hostEvents = new Source<HostEvent>();
    const poolChanges = new Source<ObjectChange<CpuidPoolObject>>();
    const layerChanges = new Source<readonly string[]>();
    const listed: DomainCpuidPolicyObject[] = [
      policy("listed", { host: "h9", domain: "d9" }),
      policy("on-p1", { host: "h9", domain: "d8", baseline: "pool", pool: "p1" }),
      policy("on-p2", { host: "h9", domain: "d7", baseline: "pool", pool: "p2" }),
    ];
    const c = run((reconcile) => domainPolicyController({ reconciler: { reconcile }, informer: { list: () => listed }, policies, policyEvents, hostEvents, poolChanges, layerChanges, workers: 1 }));
    return { policies, policyEvents, hostEvents, poolChanges, layerChanges, ...c };
  }

  it("reconciles the listed policies on becoming leader, then a policy when added, on a new generation or deletion mark, not on a status-only update", async () => {
    const { policyEvents, expectReconciled, stop } = domainPolicies();
    await expectReconciled("ns/listed", "ns/on-p1", "ns/on-p2");
    policyEvents.onAdd(policy("a", { host: "h1", domain: "d1" }));
    await expectReconciled("ns/a");
    policyEvents.onUpdate({ ...policy("a", { host: "h1", domain: "d1" }), status: { conditions: [] } });
    // one worker takes keys in order: had the update queued ns/a, it would show before ns/marker
    policyEvents.onAdd(policy("marker", { host: "h1", domain: "d2" }));
    await expectReconciled("ns/marker");
    policyEvents.onUpdate(policy("a", { host: "h1", domain: "d1" }, 2));
    await expectReconciled("ns/a");
    const deleting = policy("a", { host: "h1", domain: "d1" }, 2);
    deleting.metadata.deletionTimestamp = new Date();
    policyEvents.onUpdate(deleting);
    await expectReconciled("ns/a");
    await stop();
  });

  it("reconciles the rivals naming the same domain when one comes, moves away or goes", async () => {
    const { policyEvents, policies, expectReconciled, stop } = domainPolicies();
    await expectReconciled("ns/listed", "ns/on-p1", "ns/on-p2");
    policyEvents.onAdd(policy("old", { host: "h1", domain: "d1" }, 1, "2026-12-01T00:00:00Z"));
    await expectReconciled("ns/old");
    policyEvents.onAdd(policy("new", { host: "h1", domain: "d1" }, 1, "2026-12-02T00:00:00Z"));
    await expectReconciled("ns/old", "ns/new");
    expect(policies.owner("h1", "d1")).toBe("ns/old");
    policyEvents.onUpdate(policy("old", { host: "h1", domain: "d2" }, 2));
    await expectReconciled("ns/old", "ns/new");
    expect(policies.owner("h1", "d1")).toBe("ns/new");
    policyEvents.onAdd(policy("third", { host: "h1", domain: "d1" }, 1, "2026-12-03T00:00:00Z"));
    await expectReconciled("ns/new", "ns/third");
    policyEvents.onDelete(policy("new", { host: "h1", domain: "d1" }));
    await expectReconciled("ns/third");
    expect(policies.owner("h1", "d1")).toBe("ns/third");
    await stop();
  });

  it("reconciles the policies on a host when it changes, except when it merely went stale", async () => {
    const { policyEvents, hostEvents, expectReconciled, stop } = domainPolicies();
    await expectReconciled("ns/listed", "ns/on-p1", "ns/on-p2");
    policyEvents.onAdd(policy("a", { host: "h1", domain: "d1" }));
    policyEvents.onAdd(policy("b", { host: "h1", domain: "d2" }));
    policyEvents.onAdd(policy("c", { host: "h2", domain: "d1" }));
    await expectReconciled("ns/a", "ns/b", "ns/c");
    hostEvents.emit({ hostId: "h1", change: "stale" });
    hostEvents.emit({ hostId: "h2", change: "fresh" });
    await expectReconciled("ns/c");
    for (const change of ["added", "updated", "removed"] as const) {
      hostEvents.emit({ hostId: "h1", change });
      await expectReconciled("ns/a", "ns/b");
    }
    await stop();
  });

  it("reconciles the baseline pool policies of a pool when its stored level, members or guest type change, or it comes or goes; not on other updates", async () => {
    const { poolChanges, expectReconciled, stop } = domainPolicies();
    await expectReconciled("ns/listed", "ns/on-p1", "ns/on-p2");
    const p1 = (annotations: Record<string, string>, members?: string[], generation = 1): CpuidPoolObject => ({
      apiVersion: "cpuidfleet.io/v1alpha1",
      kind: "CpuidPool",
      metadata: { name: "p1", generation, annotations },
      spec: { hostSelector: {}, guestType: "hvm" },
      ...(members ? { status: { members } } : {}),
    });
    poolChanges.emit({ obj: p1({}), deleted: false });
    await expectReconciled("ns/on-p1");
    poolChanges.emit({ obj: p1({ [LEVEL_ANNOTATION]: "{}" }), deleted: false });
    await expectReconciled("ns/on-p1");
    poolChanges.emit({ obj: p1({ [LEVEL_ANNOTATION]: "{}" }, ["h1"]), deleted: false });
    await expectReconciled("ns/on-p1");
    // a new generation or a relevel request alone: the pool reconciler decides; its result comes back as an update
    poolChanges.emit({ obj: p1({ [LEVEL_ANNOTATION]: "{}", [RELEVEL_CONFIRM_ANNOTATION]: "sha256:x" }, ["h1"], 2), deleted: false });
    poolChanges.emit({ obj: { ...p1({}, ["h1"]), metadata: { name: "p2" } }, deleted: false });
    await expectReconciled("ns/on-p2");
    poolChanges.emit({ obj: p1({ [LEVEL_ANNOTATION]: "{}" }, ["h1"]), deleted: true });
    await expectReconciled("ns/on-p1");
    await stop();
  });
});

describe("orphan reset watch", () => {
  function sweeps(leading = true) {
    const policyEvents = new PolicyEvents(new PolicyIndex());
    const hostEvents = new Source<HostEvent>();
    const noted: string[] = [];
    const c = run(
      (reconcile) =>
        orphanResetController({ orphans: { sweepHost: reconcile, noteDeleted: (obj) => void noted.push(obj.metadata.name!) }, hosts: { hostIds: () => ["h1", "h2"] }, policyEvents, hostEvents }),
      leading,
    );
    return { policyEvents, hostEvents, noted, ...c };
  }

  it("sweeps every host on becoming leader, the host a policy left when it moves or goes, remembering a deleted policy for the event", async () => {
    const { policyEvents, noted, expectReconciled, stop } = sweeps();
    await expectReconciled("h1", "h2");
    policyEvents.onAdd(policy("a", { host: "h1", domain: "d1" }));
    policyEvents.onUpdate(policy("a", { host: "h1", domain: "d1" }, 2));
    policyEvents.onUpdate(policy("a", { host: "h2", domain: "d1" }, 3));
    await expectReconciled("h1");
    policyEvents.onUpdate(policy("a", { host: "h2", domain: "d2" }, 4));
    await expectReconciled("h2");
    policyEvents.onUpdate(policy("a", { host: "h2" }, 5));
    await expectReconciled("h2");
    policyEvents.onAdd(policy("b", { host: "h3", domain: "d1" }));
    policyEvents.onDelete(policy("b", { host: "h3", domain: "d1" }));
    policyEvents.onDelete(policy("a", { host: "h2" }));
    await expectReconciled("h3");
    expect(noted).toEqual(["b"]);
    await stop();
  });

  it("sweeps a host that is added, republishes or comes back, not one that went stale or was removed", async () => {
    const { hostEvents, expectReconciled, stop } = sweeps();
    await expectReconciled("h1", "h2");
    for (const change of ["stale", "removed", "added", "updated", "fresh"] as const) hostEvents.emit({ hostId: change, change });
    await expectReconciled("added", "updated", "fresh");
    await stop();
  });

  it("does not remember deleted policies while following", async () => {
    const { policyEvents, noted, queue, stop } = sweeps(false);
    policyEvents.onAdd(policy("a", { host: "h1", domain: "d1" }));
    policyEvents.onDelete(policy("a", { host: "h1", domain: "d1" }));
    expect(queue.active).toBe(false);
    expect(noted).toEqual([]);
    await stop();
  });
});

describe("host mirror watch", () => {
  it("mirrors every changed host, and recreates a deleted mirror only while its host is indexed", async () => {
    const hostEvents = new Source<HostEvent>();
    const mirrorDeletions = new Source<HostCpuidPolicyObject>();
    const hosts = new HostIndex(() => undefined);
    hosts.put(haswell, Date.now());
    const mirror = (hostId: string): HostCpuidPolicyObject => ({ apiVersion: "cpuidfleet.io/v1alpha1", kind: "HostCpuidPolicy", metadata: { name: hostId }, status: { hostId } });
    const { expectReconciled, stop } = run((reconcile) =>
      hostMirrorController({ reconciler: { reconcile, sweepKeys: () => ["h1", "mirrored-only"] }, hosts, hostEvents, mirrorDeletions }),
    );
    await expectReconciled("h1", "mirrored-only");
    for (const change of ["added", "updated", "removed", "stale", "fresh"] as const) hostEvents.emit({ hostId: change, change });
    await expectReconciled("added", "updated", "removed", "stale", "fresh");
    mirrorDeletions.emit(mirror("h1"));
    mirrorDeletions.emit(mirror("gone"));
    await expectReconciled("h1");
    await stop();
  });
});

describe("pool watch", () => {
  const pool = (name: string, generation: number, annotations: Record<string, string> = {}, status?: CpuidPoolObject["status"]): CpuidPoolObject => ({
    apiVersion: "cpuidfleet.io/v1alpha1",
    kind: "CpuidPool",
    metadata: { name, generation, annotations },
    spec: { hostSelector: {}, guestType: "hvm" },
    ...(status ? { status } : {}),
  });
  const hcp = (name: string, labels: Record<string, string>, lastSeen = "2026-12-06T00:00:00Z"): HostCpuidPolicyObject => ({
    apiVersion: "cpuidfleet.io/v1alpha1",
    kind: "HostCpuidPolicy",
    metadata: { name, labels },
    status: { lastSeen },
  });

  it("reconciles a pool on creation, a new generation or a relevel confirmation, not on its own status or pin; every pool when host labels or host policies change", async () => {
    const pools = [pool("a", 1), pool("b", 1)];
    const poolChanges = new Source<ObjectChange<CpuidPoolObject>>();
    const hostObjectChanges = new Source<ObjectChange<HostCpuidPolicyObject>>();
    const hostEvents = new Source<HostEvent>();
    const c = run((reconcile) => poolController({ reconciler: { reconcile }, pools: { list: () => pools }, poolChanges, hostObjectChanges, hostEvents }));
    await c.expectReconciled("a", "b");
    poolChanges.emit({ obj: pools[0], deleted: false });
    await c.expectReconciled("a");
    poolChanges.emit({ obj: pool("a", 1, { [LEVEL_ANNOTATION]: "{}" }, { memberCount: 1 }), deleted: false });
    await sleep(20);
    expect(c.seen).toEqual([]);
    poolChanges.emit({ obj: pool("a", 1, { [RELEVEL_CONFIRM_ANNOTATION]: "sha256:x" }), deleted: false });
    await c.expectReconciled("a");
    poolChanges.emit({ obj: pool("a", 2), deleted: false });
    await c.expectReconciled("a");

    hostObjectChanges.emit({ obj: hcp("h1", { rack: "r1" }), deleted: false });
    await c.expectReconciled("a", "b");
    hostObjectChanges.emit({ obj: hcp("h1", { rack: "r1" }, "2026-12-06T00:05:00Z"), deleted: false });
    await sleep(20);
    expect(c.seen).toEqual([]);
    hostObjectChanges.emit({ obj: hcp("h1", { rack: "r2" }), deleted: false });
    await c.expectReconciled("a", "b");
    hostEvents.emit({ hostId: "h1", change: "stale" });
    await sleep(20);
    expect(c.seen).toEqual([]);
    hostEvents.emit({ hostId: "h1", change: "updated" });
    await c.expectReconciled("a", "b");
    await c.stop();
  });
});
