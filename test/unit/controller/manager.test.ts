import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it, vi } from "vitest";
import { ControllerManager, type ControllerRegistration, type LeaderCallbacks, type ManagerOptions } from "../../../controller/manager/manager.ts";
import { Source, watch } from "../../../controller/manager/source.ts";
import type { HandlerResult } from "../../../controller/runtime/work-queue.ts";

const silent = pino({ level: "silent" });

/** Leadership driven by the test: win() and lose() call the manager back as the LeaderElector does. */
function election() {
  let callbacks: LeaderCallbacks | undefined;
  let leading = false;
  const lose = () => {
    leading = false;
    callbacks!.onStoppedLeading();
  };
  return {
    elect(cb: LeaderCallbacks) {
      callbacks = cb;
      return { start() {}, stop: async () => (leading ? lose() : undefined) };
    },
    win() {
      leading = true;
      callbacks!.onStartedLeading();
    },
    lose,
  };
}

function setup(options: Partial<ManagerOptions> = {}) {
  const leader = election();
  const metrics = new Registry();
  const manager = new ControllerManager({ log: silent, metrics, backoff: { baseMs: 5, maxMs: 20 }, resyncMs: 60_000, elect: (cb) => leader.elect(cb), ...options });
  return { manager, leader, metrics };
}

/** A reconcile that records each key and, for keys in `blocked`, waits until release(). */
function recorder(blocked: readonly string[] = []) {
  const seen: string[] = [];
  let running = 0;
  let maxRunning = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const reconcile = async (key: string): Promise<HandlerResult> => {
    seen.push(key);
    running++;
    maxRunning = Math.max(maxRunning, running);
    if (blocked.includes(key)) await gate;
    else await sleep(1);
    running--;
  };
  return { seen, reconcile, release, maxRunning: () => maxRunning };
}

async function metricValue(metrics: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const values = (await metrics.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value;
}

describe("ControllerManager", () => {
  it("subscribes watches at register; events reach reconcile only while leading", async () => {
    const { manager, leader } = setup();
    const events = new Source<string>();
    const r = recorder();
    const queue = manager.register({ name: "a", workers: 1, reconcile: r.reconcile, watches: [watch(events, (key, q) => q.add(key))] });
    manager.start();
    events.emit("before");
    expect(queue.active).toBe(false);
    leader.win();
    expect(queue.active).toBe(true);
    events.emit("during");
    await vi.waitFor(() => expect(r.seen).toEqual(["during"]));
    leader.lose();
    expect(queue.active).toBe(false);
    events.emit("after");
    queue.add("after");
    await manager.stop();
    expect(r.seen).toEqual(["during"]);
  });

  it("reconciles the resync keys of every controller on becoming leader and at each resync, and no more once it lost", async () => {
    const { manager, leader } = setup({ resyncMs: 30 });
    const a = recorder();
    const b = recorder();
    manager.register({ name: "a", workers: 1, reconcile: a.reconcile, resync: () => ["a1", "a2"] });
    manager.register({ name: "b", workers: 2, reconcile: b.reconcile, resync: () => new Set(["b1"]) });
    manager.register({ name: "c", workers: 1, reconcile: async () => undefined });
    manager.start();
    leader.win();
    await vi.waitFor(() => {
      expect(a.seen.filter((k) => k === "a2").length).toBeGreaterThanOrEqual(3);
      expect(b.seen.filter((k) => k === "b1").length).toBeGreaterThanOrEqual(3);
    });
    expect(a.seen.slice(0, 2)).toEqual(["a1", "a2"]);
    leader.lose();
    await manager.stop();
    const count = a.seen.length;
    await sleep(100);
    expect(a.seen.length).toBe(count);
  });

  it("on losing leadership drops what is queued and lets the in-flight reconcile finish; stop() waits for it", async () => {
    const { manager, leader } = setup();
    const r = recorder(["slow"]);
    const queue = manager.register({ name: "a", workers: 1, reconcile: r.reconcile });
    manager.start();
    leader.win();
    queue.add("slow");
    queue.add("queued");
    await vi.waitFor(() => expect(r.seen).toEqual(["slow"]));
    leader.lose();
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    await sleep(30);
    expect(stopped).toBe(false);
    r.release();
    await stopping;
    expect(r.seen).toEqual(["slow"]);
  });

  it("leading again starts the workers only once the previous terms' have finished, even after a term that never started its own", async () => {
    const { manager, leader } = setup();
    const r = recorder(["k"]);
    const queue = manager.register({ name: "a", workers: 1, reconcile: r.reconcile, resync: () => ["k"] });
    manager.start();
    leader.win();
    await vi.waitFor(() => expect(r.seen).toEqual(["k"]));
    leader.lose();
    leader.win();
    leader.lose();
    leader.win();
    queue.add("other");
    await sleep(30);
    expect(r.seen).toEqual(["k"]);
    r.release();
    await vi.waitFor(() => expect(r.seen).toEqual(["k", "k", "other"]));
    expect(r.maxRunning()).toBe(1);
    await manager.stop();
  });

  it("retries a failing key with the controller's own backoff, logging the error with the controller's name", async () => {
    const lines: string[] = [];
    const log = pino({ level: "error" }, new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }));
    const { manager, leader } = setup({ log, backoff: { baseMs: 60_000, maxMs: 60_000 } });
    let attempts = 0;
    const queue = manager.register({
      name: "flaky",
      workers: 1,
      backoff: { baseMs: 5, maxMs: 5 },
      reconcile: async () => {
        if (++attempts < 3) throw new Error("boom");
      },
    });
    manager.start();
    leader.win();
    queue.add("k");
    await vi.waitFor(() => expect(attempts).toBe(3));
    await manager.stop();
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0])).toMatchObject({ kind: "flaky", key: "k", msg: "reconcile failed; retrying with backoff", err: { message: "boom" } });
  });

  it("reports leadership, queue depth and reconcile durations by controller name and result", async () => {
    const { manager, leader, metrics } = setup();
    const r = recorder(["slow"]);
    let retried = false;
    const queue = manager.register({
      name: "a",
      workers: 1,
      reconcile: async (key) => {
        if (key === "retry" && !retried) {
          retried = true;
          return { requeue: "backoff" };
        }
        if (key === "error") throw new Error("no");
        return r.reconcile(key);
      },
    });
    manager.start();
    expect(await metricValue(metrics, "cpuid_controller_leader")).toBe(0);
    leader.win();
    expect(await metricValue(metrics, "cpuid_controller_leader")).toBe(1);
    queue.add("slow");
    await vi.waitFor(() => expect(r.seen).toEqual(["slow"]));
    queue.add("retry");
    queue.add("error");
    expect(await metricValue(metrics, "cpuid_workqueue_depth")).toBe(2);
    r.release();
    await vi.waitFor(async () => expect(await metrics.metrics()).toMatch(/^cpuid_reconcile_duration_seconds_count\{kind="a",result="ok"\} 2$/m));
    expect(r.seen).toEqual(["slow", "retry"]);
    const text = await metrics.metrics();
    expect(text).toMatch(/^cpuid_reconcile_duration_seconds_count\{kind="a",result="retry"\} 1$/m);
    expect(text).toMatch(/^cpuid_reconcile_duration_seconds_count\{kind="a",result="error"\} [1-9]\d*$/m);
    leader.lose();
    await manager.stop();
    expect(await metricValue(metrics, "cpuid_controller_leader")).toBe(0);
    expect(await metricValue(metrics, "cpuid_workqueue_depth")).toBe(0);
    expect(await metricValue(metrics, "cpuid_leader_transitions_total", { to: "leader" })).toBe(1);
    expect(await metricValue(metrics, "cpuid_leader_transitions_total", { to: "follower" })).toBe(1);
  });

  it("refuses a second controller of the same name, and any registration once started", () => {
    const { manager } = setup();
    const controller: ControllerRegistration = { name: "a", workers: 1, reconcile: async () => undefined };
    manager.register(controller);
    expect(() => manager.register(controller)).toThrow("controller a registered twice");
    manager.start();
    expect(() => manager.register({ ...controller, name: "b" })).toThrow("controller b registered after the manager started");
  });
});
