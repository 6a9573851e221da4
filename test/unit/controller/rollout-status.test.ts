// The rollout state machine on plain data: plan, waves settling and
// starting, pause, halt and resume, a spec edited after planning, rollback
// wave by wave in reverse, deletion, and waiting for another rollout.

import { describe, expect, it } from "vitest";
import { decideRollout, ROLLOUT_FINALIZER, type RolloutFacts } from "../../../controller/rollout/rollout-status.ts";
import { RolloutLayers } from "../../../controller/rollout/rollout-layers.ts";
import { RESUME_ANNOTATION, type CpuidRolloutObject, type CpuidRolloutStatus } from "../../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { selectTargets, type RolloutCandidate } from "../../../shared/rollout/plan.ts";

const T0 = new Date("2026-12-06T10:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

function rollout(spec: Record<string, unknown>, status?: CpuidRolloutStatus, meta: Partial<CpuidRolloutObject["metadata"]> = {}): CpuidRolloutObject {
  return { apiVersion: "cpuidfleet.io/v1alpha1", kind: "CpuidRollout", metadata: { name: "r1", generation: 1, creationTimestamp: T0, ...meta }, spec: { enable: ["vmx"], ...spec }, ...(status ? { status } : {}) };
}

type Standing = "applied" | "staged" | "failed" | "open" | "spec-only";

/** A DomainCpuidPolicy whose status says how it stands with rollout r1. */
function policy(key: string, standing: Standing): DomainCpuidPolicyObject {
  const [namespace, name] = key.split("/");
  const cond = (type: string, status: "True" | "False", reason: string) => ({ type, status, reason, message: "", lastTransitionTime: T0.toISOString() });
  const carried = standing !== "spec-only" && standing !== "open";
  return {
    apiVersion: "cpuidfleet.io/v1alpha1",
    kind: "DomainCpuidPolicy",
    metadata: { name, namespace, generation: 1 },
    spec: { host: "h1", domain: name, guestType: "hvm" },
    status: {
      observedGeneration: 1,
      ...(carried ? { rollouts: ["r1"] } : {}),
      activation: standing === "staged" ? "Staged" : "Active",
      conditions:
        standing === "failed"
          ? [cond("Audited", "False", "AuditFailed"), cond("Applied", "False", "NotAudited")]
          : [cond("Audited", "True", "AuditPassed"), cond("Applied", "True", standing === "staged" ? "Staged" : "Applied")],
    },
  };
}

const KEYS = Array.from({ length: 10 }, (_, i) => `ns/p${i}`);

function facts(standing: (key: string) => Standing | undefined, now = T0, others: CpuidRolloutObject[] = []): RolloutFacts {
  const candidates: RolloutCandidate[] = KEYS.map((key) => ({ key, namespace: "ns", labels: { tier: key === "ns/p9" ? "db" : "web" }, spec: { host: "h1", domain: key, guestType: "hvm", baseline: "default", enable: [], disable: [] } }));
  return {
    now,
    policy: (key) => {
      const s = standing(key);
      return s === undefined ? undefined : policy(key, s);
    },
    targets: (spec) => selectTargets(spec, candidates, () => ({}), undefined),
    others,
  };
}

const cond = (s: CpuidRolloutStatus | undefined, type: string) => s?.conditions?.find((c) => c.type === type);

describe("decideRollout", () => {
  it("plans the targets into waves, adds the finalizer and starts the first wave at once", () => {
    const d = decideRollout(rollout({ strategy: { waves: [10, 50, 100] } }), facts(() => "spec-only"));
    expect(d.finalizer).toBe("add");
    expect(d.status.waves?.map((w) => w.policies.length)).toEqual([1, 4, 5]);
    expect(d.status.waves?.map((w) => w.phase)).toEqual(["Progressing", "Pending", "Pending"]);
    expect(d.status).toMatchObject({ currentWave: 0, waveCount: 3, change: { enable: ["vmx"], disable: [] }, counts: { progressing: 1, pending: 9 } });
    expect(d.events.map((e) => e.reason)).toEqual(["Planned", "WaveStarted"]);
    expect(cond(d.status, "Progressing")).toMatchObject({ status: "True", reason: "WaveProgressing" });
  });

  it("settles a wave when every policy carries the change and is applied or staged, then starts the next after the pause", () => {
    const first = decideRollout(rollout({ strategy: { batchSize: 5, pause: "30s" } }), facts(() => "spec-only"));
    const wave0 = new Set(first.status.waves![0].policies);
    const standing = (k: string): Standing => (wave0.has(k) ? (k === "ns/p0" ? "staged" : "applied") : "spec-only");
    const open = decideRollout(rollout({ strategy: { batchSize: 5, pause: "30s" } }, first.status), facts((k) => (k === "ns/p1" ? "open" : standing(k)), at(5)));
    expect(open.status.waves![0].phase).toBe("Progressing");
    expect(open.status.counts).toMatchObject({ applied: 3, staged: 1, progressing: 1 });
    expect(open.requeueAfterMs).toBeGreaterThan(0);

    const settled = decideRollout(rollout({ strategy: { batchSize: 5, pause: "30s" } }, first.status), facts(standing, at(10)));
    expect(settled.status.waves![0]).toMatchObject({ phase: "Settled", settledAt: at(10).toISOString() });
    expect(settled.status.currentWave).toBe(0);
    expect(settled.requeueAfterMs).toBe(30_000);
    expect(cond(settled.status, "Progressing")?.reason).toBe("Pausing");

    const next = decideRollout(rollout({ strategy: { batchSize: 5, pause: "30s" } }, settled.status), facts(standing, at(40)));
    expect(next.status.currentWave).toBe(1);
    expect(next.status.waves![1]).toMatchObject({ phase: "Progressing", startedAt: at(40).toISOString() });

    const done = decideRollout(rollout({ strategy: { batchSize: 5, pause: "30s" } }, next.status), facts(() => "applied", at(50)));
    expect(cond(done.status, "Complete")).toMatchObject({ status: "True" });
    expect(done.status.counts).toMatchObject({ applied: 10, pending: 0, progressing: 0 });
    expect(done.events.map((e) => e.reason)).toEqual(["WaveSettled", "Complete"]);
    // complete stays complete, quietly
    expect(decideRollout(rollout({ strategy: { batchSize: 5, pause: "30s" } }, done.status), facts(() => "applied", at(60))).events).toEqual([]);
  });

  it("halts when failures exceed maxFailures, with one Warning; resume accepts the failures so far and goes on", () => {
    const spec = { strategy: { batchSize: 5, maxFailures: "20%" } };
    const first = decideRollout(rollout(spec), facts(() => "spec-only"));
    const failing = (k: string): Standing => (k === "ns/p0" || k === "ns/p1" || k === "ns/p2" ? "failed" : "applied");
    const halted = decideRollout(rollout(spec, first.status), facts(failing, at(5)));
    expect(cond(halted.status, "Halted")).toMatchObject({ status: "True", reason: "TooManyFailures" });
    expect(halted.events).toEqual([expect.objectContaining({ type: "Warning", reason: "Halted" })]);
    expect(halted.status.currentWave).toBe(0);
    const still = decideRollout(rollout(spec, halted.status), facts(failing, at(10)));
    expect(still.events).toEqual([]);
    expect(still.status.waves![1].phase).toBe("Pending");

    const resumed = decideRollout(rollout(spec, halted.status, { annotations: { [RESUME_ANNOTATION]: "2026-12-06T10:01:00Z" } }), facts(failing, at(60)));
    expect(resumed.status).toMatchObject({ acknowledgedFailures: 3, lastResume: "2026-12-06T10:01:00Z", currentWave: 1 });
    expect(cond(resumed.status, "Halted")?.status).toBe("False");
    expect(resumed.events.map((e) => e.reason)).toEqual(["Resumed", "WaveSettled", "WaveStarted"]);
  });

  it("a policy still open after waveTimeout counts as failed", () => {
    const spec = { strategy: { waveTimeout: "1m" } };
    const first = decideRollout(rollout(spec), facts(() => "spec-only"));
    expect(decideRollout(rollout(spec, first.status), facts(() => "open", at(30))).status.counts?.progressing).toBe(10);
    const late = decideRollout(rollout(spec, first.status), facts(() => "open", at(61)));
    expect(late.status.counts?.failed).toBe(10);
    expect(cond(late.status, "Halted")?.status).toBe("True");
  });

  it("paused: no new wave starts; an edited change halts (SpecChanged)", () => {
    const first = decideRollout(rollout({ strategy: { batchSize: 5 } }), facts(() => "spec-only"));
    const paused = decideRollout(rollout({ strategy: { batchSize: 5 }, paused: true }, first.status), facts(() => "applied", at(5)));
    expect(cond(paused.status, "Progressing")).toMatchObject({ status: "False", reason: "Paused" });
    expect(paused.status.waves![1].phase).toBe("Pending");
    const reordered = decideRollout(rollout({ enable: ["vmx", "rdrand"], strategy: { batchSize: 5 } }, { ...first.status, change: { enable: ["rdrand", "vmx"], disable: [] } }), facts(() => "applied", at(5)));
    expect(cond(reordered.status, "Halted")?.status).toBe("False");
    const edited = decideRollout(rollout({ enable: ["svm"], strategy: { batchSize: 5 } }, first.status), facts(() => "applied", at(5)));
    expect(cond(edited.status, "Halted")).toMatchObject({ status: "True", reason: "SpecChanged" });
    expect(edited.status.change).toEqual({ enable: ["vmx"], disable: [] });
  });

  it("rolls back wave by wave in reverse, each once its policies are back to their spec, and removes the finalizer when deleted", () => {
    const spec = { strategy: { batchSize: 5 } };
    const first = decideRollout(rollout(spec), facts(() => "spec-only"));
    const second = decideRollout(rollout(spec, first.status), facts(() => "applied", at(5)));
    expect(second.status.currentWave).toBe(1);
    const wave1 = new Set(second.status.waves![1].policies);

    const start = decideRollout(rollout({ ...spec, rollback: true }, second.status), facts(() => "applied", at(10)));
    expect(start.status.waves!.map((w) => w.phase)).toEqual(["Settled", "RollingBack"]);
    // wave 1's policies back to spec-only: it is rolled back, and wave 0 starts rolling back
    const next = decideRollout(rollout({ ...spec, rollback: true }, start.status), facts((k) => (wave1.has(k) ? "spec-only" : "applied"), at(15)));
    expect(next.status.waves!.map((w) => w.phase)).toEqual(["RollingBack", "RolledBack"]);
    expect(next.events.map((e) => e.reason)).toEqual(["WaveRolledBack", "WaveRollingBack"]);
    const deleting = { deletionTimestamp: at(16), finalizers: [ROLLOUT_FINALIZER] };
    const gone = decideRollout(rollout({ ...spec, rollback: true }, next.status, deleting), facts(() => "spec-only", at(20)));
    expect(gone.status.waves!.map((w) => w.phase)).toEqual(["RolledBack", "RolledBack"]);
    expect(cond(gone.status, "RolledBack")).toMatchObject({ status: "True", reason: "Deleted" });
    expect(gone.finalizer).toBe("remove");
  });

  it("an empty target plans no wave and says so; a rollout sharing features and policies with a planned one waits", () => {
    const none = decideRollout(rollout({ targets: { selector: { matchLabels: { tier: "cache" } } } }), facts(() => "spec-only"));
    expect(none.status.waves).toEqual([]);
    expect(cond(none.status, "Progressing")).toMatchObject({ status: "False", reason: "NoTargets" });
    expect(none.finalizer).toBeUndefined();
    const later = decideRollout(rollout({ targets: { selector: { matchLabels: { tier: "cache" } } } }, none.status), facts(() => "spec-only", at(60)));
    expect(later.status).toEqual(none.status);
    expect(later.events).toEqual([]);

    const planned = decideRollout(rollout({}), facts(() => "spec-only")).status;
    const other = rollout({}, planned, { name: "r0" });
    const waiting = decideRollout(rollout({ targets: { selector: { matchLabels: { tier: "db" } } } }), facts(() => "spec-only", T0, [other]));
    expect(waiting.status.waves).toBeUndefined();
    expect(cond(waiting.status, "Progressing")).toMatchObject({ status: "False", reason: "WaitingForRollout", message: expect.stringContaining("CpuidRollout r0, which changes vmx in 1 of the same policies") });
    // another feature: no conflict
    expect(decideRollout(rollout({ enable: ["svm"] }), facts(() => "spec-only", T0, [other])).status.waves).toHaveLength(1);
  });

  it("an invalid spec is reported before anything is planned", () => {
    const d = decideRollout(rollout({ enable: ["vmx"], disable: ["vmx"] }), facts(() => "spec-only"));
    expect(cond(d.status, "Progressing")).toMatchObject({ status: "False", reason: "InvalidSpec", message: expect.stringContaining("features both enabled and disabled: vmx") });
    expect(d.events).toEqual([expect.objectContaining({ type: "Warning", reason: "InvalidSpec" })]);
  });
});

describe("RolloutLayers", () => {
  it("gives each policy the layers of the rollouts whose reached waves hold it, oldest first, and reports which policies changed", () => {
    const layers = new RolloutLayers();
    const first = decideRollout(rollout({ strategy: { batchSize: 5 } }), facts(() => "spec-only")).status;
    const r1 = rollout({ strategy: { batchSize: 5 } }, first);
    expect(layers.update(r1, false).sort()).toEqual(first.waves![0].policies);
    expect(layers.of(first.waves![0].policies[0])).toEqual([{ rollout: "r1", enable: ["vmx"], disable: [] }]);
    expect(layers.of(first.waves![1].policies[0])).toEqual([]);
    expect(layers.plannedIn("ns/p9")).toEqual(["r1"]);
    // a status update that reaches nothing new changes nothing
    expect(layers.update(r1, false)).toEqual([]);
    const older = rollout({ enable: ["svm"] }, decideRollout(rollout({ enable: ["svm"] }), facts(() => "spec-only")).status, { name: "r0", creationTimestamp: new Date(T0.getTime() - 1000) });
    layers.update(older, false);
    expect(layers.of(first.waves![0].policies[0]).map((l) => l.rollout)).toEqual(["r0", "r1"]);
    expect(layers.update(r1, true).sort()).toEqual(first.waves![0].policies);
    expect(layers.of(first.waves![0].policies[0]).map((l) => l.rollout)).toEqual(["r0"]);
  });
});
