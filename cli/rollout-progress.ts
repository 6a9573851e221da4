// `cpuidctl rollout status`: where a CpuidRollout stands, from its status,
// and why each policy of its current wave that has not settled (or failed)
// is where it is, read from that policy's own status. Pure.

import { CpuidRolloutSpec, type CpuidRolloutObject, type CpuidRolloutStatus, type RolloutWave } from "../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { backOutcome, forwardOutcome, type Outcome } from "../shared/rollout/progress.ts";
import { durationMs } from "../shared/rollout/plan.ts";
import type { Condition } from "../shared/schemas/conditions.ts";
import { changeText } from "./rollout-plan-text.ts";

export interface OpenPolicy {
  policy: string;
  outcome: Outcome;
  reason: string;
}

export interface RolloutProgress {
  rollout: string;
  planned: boolean;
  change?: CpuidRolloutStatus["change"];
  takenAlong: string[];
  /** 1-based; absent before the first wave starts */
  wave?: number;
  waveCount: number;
  waves: { phase: RolloutWave["phase"]; policies: number; startedAt?: string; settledAt?: string }[];
  counts?: CpuidRolloutStatus["counts"];
  conditions: Condition[];
  /** the current wave's policies that have not settled, or failed */
  open: OpenPolicy[];
  halted: boolean;
}

const cond = (obj: DomainCpuidPolicyObject, type: string) => obj.status?.conditions?.find((c) => c.type === type);

function why(obj: DomainCpuidPolicyObject | undefined, outcome: Outcome, rollout: string, overdue: boolean): string {
  if (!obj) return "deleted since the plan was made";
  if (obj.status?.observedGeneration !== obj.metadata.generation) return "the controller has not reconciled its current spec yet";
  if (outcome === "progressing" && overdue) return `not settled within strategy.waveTimeout: counts as failed`;
  const audited = cond(obj, "Audited");
  if (audited?.status === "False") return `audit failed (${audited.reason}): ${audited.message}`;
  const applied = cond(obj, "Applied");
  if (outcome === "failed" && applied) return `${applied.reason}: ${applied.message}`;
  const carries = obj.status?.rollouts?.includes(rollout) ?? false;
  if (outcome === "progressing" && !carries) return "the change has not reached it yet (its status.rollouts does not name this rollout)";
  if (outcome === "progressing" && carries) return "still carries the change (rolling back)";
  return applied ? `Applied=${applied.status} ${applied.reason}: ${applied.message}` : "no Applied condition yet";
}

export function rolloutProgress(rollout: CpuidRolloutObject, policy: (key: string) => DomainCpuidPolicyObject | undefined, now: Date): RolloutProgress {
  const name = rollout.metadata.name!;
  const status = rollout.status ?? {};
  const waves = status.waves ?? [];
  const spec = CpuidRolloutSpec.safeParse(rollout.spec);
  const timeout = spec.success ? durationMs(spec.data.strategy.waveTimeout) : Infinity;
  const index = status.currentWave;
  const current = index !== undefined ? waves[index] : undefined;
  const open: OpenPolicy[] = [];
  if (current && current.phase !== "Pending" && current.phase !== "RolledBack") {
    const back = current.phase === "RollingBack";
    const overdue = !back && now.getTime() - Date.parse(current.startedAt ?? "") > timeout;
    for (const key of current.policies) {
      const obj = policy(key);
      const outcome = back ? backOutcome(obj, name) : forwardOutcome(obj, name);
      if (outcome === "progressing" || outcome === "failed") open.push({ policy: key, outcome: outcome === "progressing" && overdue ? "failed" : outcome, reason: why(obj, outcome, name, overdue) });
    }
  }
  const conditions = status.conditions ?? [];
  return {
    rollout: name,
    planned: status.waves !== undefined,
    ...(status.change ? { change: status.change } : {}),
    takenAlong: status.takenAlong ?? [],
    ...(index !== undefined && current ? { wave: index + 1 } : {}),
    waveCount: status.waveCount ?? waves.length,
    waves: waves.map((w) => ({ phase: w.phase, policies: w.policies.length, ...(w.startedAt ? { startedAt: w.startedAt } : {}), ...(w.settledAt ? { settledAt: w.settledAt } : {}) })),
    ...(status.counts ? { counts: status.counts } : {}),
    conditions,
    open,
    halted: conditions.some((c) => c.type === "Halted" && c.status === "True"),
  };
}

const OPEN_SHOWN = 20;

export function progressText(p: RolloutProgress): string {
  const out: string[] = [];
  out.push(`CpuidRollout ${p.rollout}${p.change ? `: ${changeText(p.change)}` : ""}`);
  if (p.takenAlong.length) out.push(`taken along by the disable: ${p.takenAlong.join(", ")}`);
  if (!p.planned) out.push("not planned yet");
  else if (p.waveCount === 0) out.push("nothing to move: the plan is empty");
  else {
    out.push(`wave ${p.wave ?? 0}/${p.waveCount}${p.wave ? ` (${p.waves[p.wave - 1].phase})` : " (none started)"}; waves: ${p.waves.map((w, i) => `${i + 1}:${w.phase}(${w.policies})`).join(" ")}`);
  }
  if (p.counts) {
    const c = p.counts;
    out.push(`policies: ${c.applied} applied, ${c.staged} staged, ${c.failed} failed, ${c.progressing} progressing, ${c.pending} pending, ${c.deleted} deleted`);
  }
  if (p.conditions.length) {
    out.push("conditions:");
    for (const c of p.conditions) out.push(`  ${c.type.padEnd(12)} ${c.status.padEnd(6)} ${c.reason}: ${c.message}`);
  }
  if (p.open.length) {
    out.push(`wave ${p.wave}: not settled or failed:`);
    for (const o of p.open.slice(0, OPEN_SHOWN)) out.push(`  ${o.policy} (${o.outcome}): ${o.reason}`);
    if (p.open.length > OPEN_SHOWN) out.push(`  … and ${p.open.length - OPEN_SHOWN} more (-o json lists every one)`);
  }
  if (p.halted) out.push(`halted: \`cpuidctl rollout resume ${p.rollout}\` accepts the failures so far and continues; \`cpuidctl rollout undo ${p.rollout}\` rolls it back`);
  return `${out.join("\n")}\n`;
}
