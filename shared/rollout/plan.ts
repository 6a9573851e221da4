// A rollout's plan: which DomainCpuidPolicies its targets select and how they
// split into waves, what a disable takes along, and how many failures it
// tolerates. The plan is made once, when the rollout starts, and then kept in
// its status: a wave's members never change under it. Shared by the
// controller and `cpuidctl rollout plan`. Pure.

import type { CpuidRolloutSpec, RolloutStrategy } from "../api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicySpec } from "../api/v1alpha1/domain-cpuid-policy.ts";
import { DEEP_DEPENDENTS } from "../featureset/dependencies.ts";
import { emptyFeatureset, featureNames, featuresetFromNames } from "../featureset/featureset.ts";
import { featureByName } from "../featureset/features.ts";
import { selectorMatches } from "../labels/label-selector.ts";

export interface RolloutCandidate {
  /** namespace/name */
  key: string;
  namespace: string;
  labels: Readonly<Record<string, string>> | undefined;
  /** undefined when the spec is invalid (the controller reports it on the policy) */
  spec: DomainCpuidPolicySpec | undefined;
}

export interface Skipped {
  key: string;
  why: string;
}

export interface Targets {
  /** sorted */
  keys: string[];
  /** selected by the targets but left out, and why */
  skipped: Skipped[];
}

/**
 * The candidates the rollout's targets select. `namespaceLabels` gives a
 * namespace's labels; `poolMembers` the members of targets.pool (undefined:
 * the pool does not exist).
 */
export function selectTargets(
  spec: CpuidRolloutSpec,
  candidates: readonly RolloutCandidate[],
  namespaceLabels: (namespace: string) => Readonly<Record<string, string>> | undefined,
  poolMembers: ReadonlySet<string> | undefined,
): Targets {
  const { namespaceSelector, selector, pool } = spec.targets;
  const keys: string[] = [];
  const skipped: Skipped[] = [];
  for (const c of candidates) {
    if (namespaceSelector && !selectorMatches(namespaceSelector, namespaceLabels(c.namespace) ?? {})) continue;
    if (selector && !selectorMatches(selector, c.labels ?? {})) continue;
    if (!c.spec) {
      skipped.push({ key: c.key, why: "its spec is invalid" });
      continue;
    }
    if (pool !== undefined && !poolMembers?.has(c.spec.host)) continue;
    if (c.spec.policy) {
      skipped.push({ key: c.key, why: "it gives a full spec.policy, which has no features to layer on" });
      continue;
    }
    keys.push(c.key);
  }
  keys.sort();
  skipped.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { keys, skipped };
}

/** The planned policies split into waves (none empty) by batchSize or cumulative percentages; neither: one wave. */
export function splitWaves(keys: readonly string[], strategy: Pick<RolloutStrategy, "batchSize" | "waves">): string[][] {
  if (keys.length === 0) return [];
  const ends: number[] = [];
  if (strategy.batchSize !== undefined) {
    for (let end = strategy.batchSize; end < keys.length; end += strategy.batchSize) ends.push(end);
  } else if (strategy.waves !== undefined) {
    for (const percent of strategy.waves) ends.push(Math.ceil((percent * keys.length) / 100));
  }
  ends.push(keys.length);
  const waves: string[][] = [];
  let start = 0;
  for (const end of ends) {
    if (end <= start) continue;
    waves.push(keys.slice(start, end));
    start = end;
  }
  return waves;
}

/** Features that go off with the disabled ones (Xen's deep dependencies), unless enabled explicitly. */
export function takenAlong(spec: Pick<CpuidRolloutSpec, "enable" | "disable">): string[] {
  const along = emptyFeatureset();
  for (const name of spec.disable) {
    const deps = DEEP_DEPENDENTS.get(featureByName(name)!.value);
    if (deps) for (let i = 0; i < along.length; i++) along[i] |= deps[i];
  }
  const named = featuresetFromNames([...spec.disable, ...spec.enable]);
  for (let i = 0; i < along.length; i++) along[i] &= ~named[i];
  return featureNames(along);
}

/** The failures tolerated: one more halts the rollout. */
export function maxFailuresOf(maxFailures: number | string, planned: number): number {
  if (typeof maxFailures === "number") return maxFailures;
  return Math.floor((Number(maxFailures.slice(0, -1)) * planned) / 100);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration such as 30s or 1m30s (validated by the schema). */
export function durationMs(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[unit];
  return ms;
}
