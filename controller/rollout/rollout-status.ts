// One CpuidRollout's next state: plan it, start, settle and advance waves,
// halt on failures, roll back wave by wave in reverse (asked for, or the
// rollout is being deleted), and the conditions, events and finalizer that
// go with it. Pure: controller/rollout/reconciler.ts does the I/O.
//
// Everything the rollout did is in its status: the plan (fixed when made),
// each wave's phase and the change as planned. Policies carry a wave's layer
// exactly while its phase is Progressing or Settled (./rollout-layers.ts), so
// a wave takes effect only once the status that starts it is stored, and a
// new leader continues from that status: no wave is applied twice or skipped.

import { CpuidRolloutSpec, RESUME_ANNOTATION, type CpuidRolloutObject, type CpuidRolloutStatus, type RolloutCounts, type RolloutWave } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { backOutcome, forwardOutcome, type Outcome } from "../../shared/rollout/progress.ts";
import { durationMs, maxFailuresOf, splitWaves, takenAlong, type Targets } from "../../shared/rollout/plan.ts";
import type { Condition } from "../../shared/schemas/conditions.ts";
import { conflictingRollout } from "../../shared/rollout/conflict.ts";
import { REACHED } from "../../shared/rollout/layer.ts";
import type { EventSpec } from "../kube/events.ts";
import { findCondition, setCondition, type ConditionUpdate } from "../status/conditions.ts";

export const ROLLOUT_FINALIZER = "cpuidfleet.io/rollback-on-delete";

export interface RolloutFacts {
  now: Date;
  policy(key: string): DomainCpuidPolicyObject | undefined;
  /** the targets as they are now; called only to make the plan */
  targets(spec: CpuidRolloutSpec): Targets;
  /** every other rollout, to find one already changing the same features of the same policies */
  others: readonly CpuidRolloutObject[];
}

export interface RolloutDecision {
  status: CpuidRolloutStatus;
  events: EventSpec[];
  /** reconcile again after this long (a pause ending, a wave timing out) */
  requeueAfterMs?: number;
  /** add the finalizer before the status is written; remove it once everything is rolled back */
  finalizer?: "add" | "remove";
}

const LIVE_CHECK_MS = 5_000;

export function decideRollout(rollout: CpuidRolloutObject, facts: RolloutFacts): RolloutDecision {
  const generation = rollout.metadata.generation ?? 0;
  const name = rollout.metadata.name!;
  let conditions: Condition[] | undefined = rollout.status?.conditions;
  const events: EventSpec[] = [];
  const set = (u: ConditionUpdate) => (conditions = setCondition(conditions, u, generation, facts.now));
  const was = (type: string, reason: string) => findCondition(rollout.status?.conditions, type)?.reason === reason && findCondition(rollout.status?.conditions, type)?.status !== "False";
  const finish = (status: Omit<CpuidRolloutStatus, "conditions" | "observedGeneration">, extra: Partial<RolloutDecision> = {}): RolloutDecision => ({
    status: { ...status, observedGeneration: generation, conditions },
    events,
    ...extra,
  });
  const deleting = rollout.metadata.deletionTimestamp !== undefined;
  const prior: CpuidRolloutStatus = rollout.status ?? {};

  const parsed = CpuidRolloutSpec.safeParse(rollout.spec);
  if (!parsed.success && !prior.waves) {
    const message = parsed.error.issues.map((i) => `spec.${i.path.join(".")}: ${i.message}`).join("; ");
    if (!was("Progressing", "InvalidSpec")) events.push({ type: "Warning", reason: "InvalidSpec", action: "Plan", note: message });
    set({ type: "Progressing", status: "False", reason: "InvalidSpec", message });
    return finish({}, deleting ? { finalizer: "remove" } : {});
  }
  const spec = parsed.success ? parsed.data : undefined;

  if (!prior.waves) {
    if (deleting) return finish({}, { finalizer: "remove" });
    const s = spec!;
    if (s.rollback) {
      set({ type: "Progressing", status: "False", reason: "RolledBack", message: "rollback asked for before anything was planned; nothing changed" });
      set({ type: "RolledBack", status: "True", reason: "NothingReached", message: "no policy was changed" });
      return finish({});
    }
    const targets = facts.targets(s);
    const blocker = conflictingRollout(name, s, targets.keys, facts.others);
    if (blocker) {
      const message = `waits for CpuidRollout ${blocker.name}, which changes ${blocker.features.join(", ")} in ${blocker.policies} of the same policies; it plans once that one is deleted or rolled back`;
      if (!was("Progressing", "WaitingForRollout")) events.push({ type: "Warning", reason: "WaitingForRollout", action: "Plan", note: message });
      set({ type: "Progressing", status: "False", reason: "WaitingForRollout", message });
      return finish({});
    }
    const waves = splitWaves(targets.keys, s.strategy).map((policies): RolloutWave => ({ policies, phase: "Pending" }));
    const along = takenAlong(s);
    const skipped = targets.skipped.length ? `; left out: ${targets.skipped.map((x) => `${x.key} (${x.why})`).join(", ")}` : "";
    const planned: CpuidRolloutStatus = {
      plannedAt: facts.now.toISOString(),
      waves,
      waveCount: waves.length,
      change: { enable: [...s.enable], disable: [...s.disable] },
      ...(along.length ? { takenAlong: along } : {}),
    };
    events.push({ type: "Normal", reason: "Planned", action: "Plan", note: `${targets.keys.length} policies in ${waves.length} waves${along.length ? `; disabling also takes along ${along.join(", ")}` : ""}${skipped}` });
    if (waves.length === 0) {
      set({ type: "Progressing", status: "False", reason: "NoTargets", message: `the targets select no policy that can be changed${skipped}; nothing moves` });
      return finish({ ...planned, counts: countsOf([], name, facts, s) });
    }
    return advance({ ...rollout, status: { ...prior, ...planned } }, s, facts, set, events, finish, true);
  }

  // nothing was planned: nothing to advance or roll back
  if (prior.waves.length === 0) return finish(prior, deleting ? { finalizer: "remove" } : {});
  if (spec?.rollback || deleting) return rollBack(rollout, facts, set, events, finish, deleting);
  if (!spec) {
    const message = `${parsed.success ? "" : parsed.error.issues.map((i) => `spec.${i.path.join(".")}: ${i.message}`).join("; ")}; no further wave starts (rollback still works)`;
    set({ type: "Halted", status: "True", reason: "InvalidSpec", message });
    return finish(prior);
  }
  return advance(rollout, spec, facts, set, events, finish, false);
}

type Finish = (status: Omit<CpuidRolloutStatus, "conditions" | "observedGeneration">, extra?: Partial<RolloutDecision>) => RolloutDecision;
type Set = (u: ConditionUpdate) => void;

function advance(rollout: CpuidRolloutObject, spec: CpuidRolloutSpec, facts: RolloutFacts, set: Set, events: EventSpec[], finish: Finish, first: boolean): RolloutDecision {
  const name = rollout.metadata.name!;
  const status = rollout.status!;
  const waves = status.waves!.map((w) => ({ ...w }));
  const planned = waves.reduce((n, w) => n + w.policies.length, 0);
  const now = facts.now.getTime();
  const extra: Partial<RolloutDecision> = first ? { finalizer: "add" } : {};

  let acknowledgedFailures = status.acknowledgedFailures ?? 0;
  let lastResume = status.lastResume;
  const resume = rollout.metadata.annotations?.[RESUME_ANNOTATION];
  const counts = countsOf(waves, name, facts, spec);
  if (resume !== undefined && resume !== lastResume) {
    lastResume = resume;
    acknowledgedFailures = counts.failed;
    events.push({ type: "Normal", reason: "Resumed", action: "Resume", note: `resumed by ${resume}: the ${counts.failed} failures so far are accepted` });
  }
  const tolerated = maxFailuresOf(spec.strategy.maxFailures, planned);
  const failures = counts.failed - acknowledgedFailures;
  const base = { ...status, waves, counts, acknowledgedFailures, ...(lastResume !== undefined ? { lastResume } : {}) };

  const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((f) => b.includes(f));
  const changed = status.change && (!sameSet(status.change.enable, spec.enable) || !sameSet(status.change.disable, spec.disable));
  if (changed) {
    const message = `spec.enable/disable changed after the plan was made (planned: enable ${status.change!.enable.join(", ") || "-"}, disable ${status.change!.disable.join(", ") || "-"}); reached policies keep the planned change, no further wave starts; roll back, or create a new rollout`;
    if (findCondition(status.conditions, "Halted")?.reason !== "SpecChanged") events.push({ type: "Warning", reason: "SpecChanged", action: "Advance", note: message });
    set({ type: "Halted", status: "True", reason: "SpecChanged", message });
    set({ type: "Progressing", status: "False", reason: "Halted", message });
    return finish(base, extra);
  }
  if (failures > tolerated) {
    const message = `${failures} policies failed${acknowledgedFailures ? ` since the last resume` : ""}, more than maxFailures (${spec.strategy.maxFailures} = ${tolerated}); no further wave starts until \`cpuidctl rollout resume ${name}\` or a rollback`;
    if (findCondition(status.conditions, "Halted")?.status !== "True") events.push({ type: "Warning", reason: "Halted", action: "Advance", note: message });
    set({ type: "Halted", status: "True", reason: "TooManyFailures", message });
    set({ type: "Progressing", status: "False", reason: "Halted", message });
    return finish(base, extra);
  }
  set({ type: "Halted", status: "False", reason: "WithinMaxFailures", message: `${failures} failures, ${tolerated} tolerated` });

  let current = status.currentWave ?? -1;
  const wave = current >= 0 ? waves[current] : undefined;
  if (wave?.phase === "Progressing") {
    const timeoutIn = Date.parse(wave.startedAt ?? "") + durationMs(spec.strategy.waveTimeout) - now;
    // past waveTimeout the open ones count as failed (countsOf): they no longer hold the wave
    const open = timeoutIn < 0 ? [] : wave.policies.filter((k) => forwardOutcome(facts.policy(k), name) === "progressing");
    if (open.length > 0) {
      set({ type: "Progressing", status: "True", reason: "WaveProgressing", message: `wave ${current + 1} of ${waves.length}: ${wave.policies.length - open.length} of ${wave.policies.length} policies settled` });
      return finish(base, { ...extra, requeueAfterMs: Math.max(1, Math.min(timeoutIn, LIVE_CHECK_MS)) });
    }
    wave.phase = "Settled";
    wave.settledAt = facts.now.toISOString();
    events.push({ type: "Normal", reason: "WaveSettled", action: "Advance", note: `wave ${current + 1} of ${waves.length} settled: ${waveSummary(wave, name, facts)}` });
  }
  if (current === waves.length - 1) {
    set({ type: "Progressing", status: "False", reason: "Complete", message: `all ${waves.length} waves settled` });
    if (findCondition(status.conditions, "Complete")?.status !== "True") events.push({ type: "Normal", reason: "Complete", action: "Advance", note: `all ${waves.length} waves settled: ${counts.applied} applied, ${counts.staged} staged, ${counts.failed} failed` });
    set({ type: "Complete", status: "True", reason: "AllWavesSettled", message: `${counts.applied} applied, ${counts.staged} staged, ${counts.failed} failed, ${counts.deleted} deleted` });
    return finish({ ...base, counts: countsOf(waves, name, facts, spec) }, extra);
  }
  if (spec.paused) {
    set({ type: "Progressing", status: "False", reason: "Paused", message: `spec.paused: wave ${current + 2} of ${waves.length} waits` });
    return finish({ ...base, counts: countsOf(waves, name, facts, spec) }, extra);
  }
  if (wave?.settledAt) {
    const resumeAt = Date.parse(wave.settledAt) + durationMs(spec.strategy.pause);
    if (resumeAt > now) {
      set({ type: "Progressing", status: "True", reason: "Pausing", message: `wave ${current + 2} of ${waves.length} starts at ${new Date(resumeAt).toISOString()} (strategy.pause)` });
      return finish({ ...base, counts: countsOf(waves, name, facts, spec) }, { ...extra, requeueAfterMs: resumeAt - now });
    }
  }
  current++;
  waves[current] = { ...waves[current], phase: "Progressing", startedAt: facts.now.toISOString() };
  events.push({ type: "Normal", reason: "WaveStarted", action: "Advance", note: `wave ${current + 1} of ${waves.length}: ${waves[current].policies.length} policies` });
  set({ type: "Progressing", status: "True", reason: "WaveProgressing", message: `wave ${current + 1} of ${waves.length} started` });
  set({ type: "Complete", status: "False", reason: "WavesRemaining", message: `${waves.length - current} waves not settled` });
  return finish({ ...base, currentWave: current, counts: countsOf(waves, name, facts, spec) }, { ...extra, requeueAfterMs: LIVE_CHECK_MS });
}

function rollBack(rollout: CpuidRolloutObject, facts: RolloutFacts, set: Set, events: EventSpec[], finish: Finish, deleting: boolean): RolloutDecision {
  const name = rollout.metadata.name!;
  const status = rollout.status!;
  const waves = status.waves!.map((w) => ({ ...w }));
  const why = deleting ? "the rollout is being deleted" : "spec.rollback";
  let index = lastIndex(waves, (w) => w.phase !== "Pending" && w.phase !== "RolledBack");
  if (index >= 0 && waves[index].phase === "RollingBack") {
    const open = waves[index].policies.filter((k) => backOutcome(facts.policy(k), name) === "progressing").length;
    if (open > 0) {
      set({ type: "Progressing", status: "True", reason: "RollingBack", message: `${why}: wave ${index + 1} of ${waves.length}: ${waves[index].policies.length - open} of ${waves[index].policies.length} policies back to their spec` });
      return finish({ ...status, waves, currentWave: index, counts: rollbackCounts(waves, name, facts) }, { requeueAfterMs: LIVE_CHECK_MS });
    }
    waves[index] = { ...waves[index], phase: "RolledBack" };
    events.push({ type: "Normal", reason: "WaveRolledBack", action: "RollBack", note: `wave ${index + 1} of ${waves.length} is back to its spec` });
    index = lastIndex(waves, (w) => w.phase !== "Pending" && w.phase !== "RolledBack");
  }
  if (index < 0) {
    if (findCondition(status.conditions, "RolledBack")?.status !== "True") events.push({ type: "Normal", reason: "RolledBack", action: "RollBack", note: `${why}: every policy is back to its spec alone` });
    set({ type: "RolledBack", status: "True", reason: deleting ? "Deleted" : "RollbackRequested", message: `${why}: every policy is back to its spec alone` });
    set({ type: "Progressing", status: "False", reason: "RolledBack", message: "rolled back" });
    set({ type: "Complete", status: "False", reason: "RolledBack", message: "rolled back" });
    return finish({ ...status, waves, currentWave: 0, counts: rollbackCounts(waves, name, facts) }, deleting ? { finalizer: "remove" } : {});
  }
  waves[index] = { ...waves[index], phase: "RollingBack" };
  events.push({ type: "Normal", reason: "WaveRollingBack", action: "RollBack", note: `${why}: wave ${index + 1} of ${waves.length} (${waves[index].policies.length} policies) goes back to its spec` });
  set({ type: "Progressing", status: "True", reason: "RollingBack", message: `${why}: wave ${index + 1} of ${waves.length} rolling back` });
  set({ type: "RolledBack", status: "False", reason: "RollingBack", message: `wave ${index + 1} of ${waves.length} rolling back` });
  return finish({ ...status, waves, currentWave: index, counts: rollbackCounts(waves, name, facts) }, { requeueAfterMs: LIVE_CHECK_MS });
}

function lastIndex<T>(list: readonly T[], pred: (t: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i])) return i;
  return -1;
}

const ZERO: RolloutCounts = { applied: 0, staged: 0, failed: 0, progressing: 0, pending: 0, deleted: 0 };

/** Where every planned policy is, going forward; a policy of a started wave still open after waveTimeout counts as failed. */
export function countsOf(waves: readonly RolloutWave[], rollout: string, facts: Pick<RolloutFacts, "policy" | "now">, spec: CpuidRolloutSpec): RolloutCounts {
  const counts = { ...ZERO };
  const timeout = durationMs(spec.strategy.waveTimeout);
  for (const wave of waves) {
    if (!REACHED.has(wave.phase)) {
      counts.pending += wave.policies.length;
      continue;
    }
    const overdue = facts.now.getTime() - Date.parse(wave.startedAt ?? "") > timeout;
    for (const key of wave.policies) {
      const outcome: Outcome = forwardOutcome(facts.policy(key), rollout);
      const counted = outcome === "progressing" && overdue ? "failed" : outcome;
      if (counted !== "reverted") counts[counted]++;
    }
  }
  return counts;
}

function rollbackCounts(waves: readonly RolloutWave[], rollout: string, facts: Pick<RolloutFacts, "policy">): RolloutCounts {
  const counts = { ...ZERO };
  for (const wave of waves) {
    if (wave.phase === "Pending") {
      counts.pending += wave.policies.length;
      continue;
    }
    for (const key of wave.policies) {
      const outcome = wave.phase === "RollingBack" || wave.phase === "RolledBack" ? backOutcome(facts.policy(key), rollout) : forwardOutcome(facts.policy(key), rollout);
      if (outcome === "reverted") counts.pending++;
      else counts[outcome]++;
    }
  }
  return counts;
}

function waveSummary(wave: RolloutWave, rollout: string, facts: Pick<RolloutFacts, "policy">): string {
  const n: Record<string, number> = {};
  for (const key of wave.policies) {
    const o = forwardOutcome(facts.policy(key), rollout);
    n[o] = (n[o] ?? 0) + 1;
  }
  return Object.entries(n)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
}
