// A policy of a started wave not settled within strategy.waveTimeout counts
// as failed; when maxFailures tolerates it, the wave settles and the next
// one starts (instead of waiting on it for ever).

import { describe, expect, it } from "vitest";
import type { CpuidRolloutObject } from "../../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { decideRollout } from "../../../controller/rollout/rollout-status.ts";

const T0 = new Date("2026-01-01T00:00:00Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const rollout: CpuidRolloutObject = {
  apiVersion: "cpuidfleet.io/v1alpha1",
  kind: "CpuidRollout",
  metadata: { name: "r", generation: 1, finalizers: ["cpuidfleet.io/rollback-on-delete"] },
  spec: { enable: ["movdiri"], strategy: { batchSize: 2, maxFailures: 1, waveTimeout: "1m" } },
  status: {
    waves: [
      { policies: ["ns/a", "ns/b"], phase: "Progressing", startedAt: T0.toISOString() },
      { policies: ["ns/c"], phase: "Pending" },
    ],
    currentWave: 0,
    waveCount: 2,
    change: { enable: ["movdiri"], disable: [] },
  },
};

const condition = (type: string) => ({ type, status: "True" as const, reason: "Done", message: "", lastTransitionTime: T0.toISOString() });
const applied: DomainCpuidPolicyObject = {
  apiVersion: "cpuidfleet.io/v1alpha1",
  kind: "DomainCpuidPolicy",
  metadata: { name: "a", namespace: "ns", generation: 1 },
  spec: {},
  status: { observedGeneration: 1, rollouts: ["r"], conditions: [condition("Audited"), condition("Applied")] },
};
/** its host never answers: the layer has not reached its status */
const stuck: DomainCpuidPolicyObject = { ...applied, metadata: { name: "b", namespace: "ns", generation: 1 }, status: { observedGeneration: 1 } };
const policies = new Map([
  ["ns/a", applied],
  ["ns/b", stuck],
]);
const facts = (now: Date) => ({ now, policy: (k: string) => policies.get(k), targets: () => ({ keys: [], skipped: [] }), others: [] });

describe("decideRollout: wave timeout", () => {
  it("before the timeout the wave waits for its open policy", () => {
    const d = decideRollout(rollout, facts(at(0.5)));
    expect(d.status.waves?.[0].phase).toBe("Progressing");
    expect(d.status.counts).toMatchObject({ applied: 1, progressing: 1, failed: 0 });
  });

  it("after it, the overdue policy counts as failed and, tolerated, no longer holds the wave: the next one starts", () => {
    const d = decideRollout(rollout, facts(at(2)));
    expect(d.status.waves?.map((w) => w.phase)).toEqual(["Settled", "Progressing"]);
    expect(d.status.currentWave).toBe(1);
    expect(d.status.conditions?.find((c) => c.type === "Halted")?.status).toBe("False");
  });
});
