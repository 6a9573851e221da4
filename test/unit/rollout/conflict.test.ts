import { describe, expect, it } from "vitest";
import type { CpuidRolloutObject, RolloutWave } from "../../../shared/api/v1alpha1/cpuid-rollout.ts";
import { conflictingRollout } from "../../../shared/rollout/conflict.ts";

const rollout = (name: string, change: { enable: string[]; disable: string[] } | undefined, waves: RolloutWave[] | undefined, rolledBack = false): CpuidRolloutObject => ({
  apiVersion: "cpuidfleet.io/v1alpha1",
  kind: "CpuidRollout",
  metadata: { name },
  spec: {},
  status: {
    ...(change ? { change } : {}),
    ...(waves ? { waves } : {}),
    ...(rolledBack ? { conditions: [{ type: "RolledBack", status: "True", reason: "RollbackRequested", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }] } : {}),
  },
});
const wave = (...policies: string[]): RolloutWave => ({ policies, phase: "Settled" });
const fp16 = { enable: ["avx512-fp16"], disable: [] };

describe("conflictingRollout", () => {
  it("names a planned rollout changing the same feature of some of the same policies, with the overlap", () => {
    const other = rollout("first", { enable: [], disable: ["avx512-fp16", "amx-tile"] }, [wave("ns/a"), wave("ns/b", "ns/c")]);
    expect(conflictingRollout("second", fp16, ["ns/b", "ns/c", "ns/d"], [other])).toEqual({ name: "first", features: ["avx512-fp16"], policies: 2 });
  });

  it("ignores itself, other features, other policies, unplanned and rolled-back rollouts", () => {
    const others = [
      rollout("second", fp16, [wave("ns/a")]),
      rollout("other-feature", { enable: ["amx-tile"], disable: [] }, [wave("ns/a")]),
      rollout("other-policies", fp16, [wave("ns/z")]),
      rollout("unplanned", fp16, undefined),
      rollout("rolled-back", fp16, [wave("ns/a")], true),
    ];
    expect(conflictingRollout("second", fp16, ["ns/a"], others)).toBeUndefined();
  });
});
