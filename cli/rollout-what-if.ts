// `cpuidctl rollout plan`'s dry run: the plan the controller would make now
// (shared/rollout/plan.ts, the same code), and each targeted policy's
// effective request with the rollout's layer on top, audited against its
// host as the controller would (shared/domain-policy/evaluate.ts). Pure: the
// command reads the cluster and the cpuid-hosts bucket.

import type { CpuidRolloutObject, CpuidRolloutSpec } from "../shared/api/v1alpha1/cpuid-rollout.ts";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { summariseFindings } from "../shared/audit/findings-text.ts";
import { evaluateDomainPolicy } from "../shared/domain-policy/evaluate.ts";
import type { PoolBaseline } from "../shared/domain-policy/pool-baseline.ts";
import type { HostRecord } from "../shared/hosts/host-record.ts";
import { conflictingRollout, type RolloutConflict } from "../shared/rollout/conflict.ts";
import { layeredSpec, REACHED, type RolloutLayer } from "../shared/rollout/layer.ts";
import { maxFailuresOf, selectTargets, splitWaves, takenAlong, type RolloutCandidate, type Skipped } from "../shared/rollout/plan.ts";
import type { FindingJson } from "../shared/schemas/finding.ts";

export interface PlanWorld {
  policies: readonly DomainCpuidPolicyObject[];
  /** namespaces' labels (read only when the targets have a namespaceSelector) */
  namespaceLabels: ReadonlyMap<string, Record<string, string>>;
  /** members of targets.pool; undefined when there is no such pool */
  poolMembers: ReadonlySet<string> | undefined;
  /** the rollouts in the cluster */
  rollouts: readonly CpuidRolloutObject[];
  /** a host's published policies, or why there are none */
  host(hostId: string): HostRecord | string;
  /** spec.pool resolved, for baseline pool */
  pool(name: string): PoolBaseline;
}

export interface PolicyVerdict {
  policy: string;
  host: string;
  /** 1-based */
  wave: number;
  ok: boolean;
  /** the policy already asks for the change: the rollout would not alter what it requests */
  unchanged: boolean;
  /** why it would fail, on one line */
  reason?: string;
  findings?: FindingJson[];
}

export interface RolloutWhatIf {
  rollout: string;
  change: { enable: string[]; disable: string[] };
  takenAlong: string[];
  waves: string[][];
  skipped: Skipped[];
  verdicts: PolicyVerdict[];
  wouldFail: number;
  /** failures tolerated (maxFailures of the planned count) */
  tolerated: number;
  /** 1-based wave in which the failures found now would halt the rollout */
  haltsInWave?: number;
  /** a rollout planned before this one changing the same features of some of the same policies: this one would wait */
  waitsFor?: RolloutConflict;
  /** targets.pool names no CpuidPool */
  poolMissing?: string;
  /** a CpuidRollout of this name is already planned: its plan is frozen and this dry run is not it */
  alreadyPlanned?: boolean;
}

const keyOf = (obj: DomainCpuidPolicyObject) => `${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;

/** The layers a policy carries now from other rollouts, oldest first (as controller/rollout/rollout-layers.ts orders them). */
function layersNow(key: string, self: string, rollouts: readonly CpuidRolloutObject[]): RolloutLayer[] {
  const order = (r: CpuidRolloutObject) => `${r.metadata.creationTimestamp ? new Date(r.metadata.creationTimestamp).toISOString() : ""}|${r.metadata.name}`;
  return rollouts
    .filter((r) => r.metadata.name !== self && r.status?.change && r.status.waves?.some((w) => REACHED.has(w.phase) && w.policies.includes(key)))
    .sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
    .map((r) => ({ rollout: r.metadata.name!, enable: r.status!.change!.enable, disable: r.status!.change!.disable }));
}

function verdictOf(key: string, wave: number, spec: DomainCpuidPolicySpec, layers: RolloutLayer[], layer: RolloutLayer, world: PlanWorld): PolicyVerdict {
  const base = { policy: key, host: spec.host, wave };
  const host = world.host(spec.host);
  if (typeof host === "string") return { ...base, ok: false, unchanged: false, reason: host };
  const pool = spec.baseline === "pool" && spec.pool ? world.pool(spec.pool) : undefined;
  const before = evaluateDomainPolicy(layeredSpec(spec, layers), host, pool);
  const after = evaluateDomainPolicy(layeredSpec(spec, [...layers, layer]), host, pool);
  if (after.kind !== "audited") return { ...base, ok: false, unchanged: false, reason: after.message };
  const unchanged = before.kind === "audited" && before.policyHash === after.policyHash;
  if (after.findings.length === 0) return { ...base, ok: true, unchanged };
  return { ...base, ok: false, unchanged, reason: summariseFindings(after.findings), findings: after.findings };
}

export function rolloutWhatIf(name: string, spec: CpuidRolloutSpec, world: PlanWorld): RolloutWhatIf {
  const candidates: RolloutCandidate[] = world.policies.map((obj) => {
    const parsed = DomainCpuidPolicySpec.safeParse(obj.spec);
    return { key: keyOf(obj), namespace: obj.metadata.namespace ?? "", labels: obj.metadata.labels, spec: parsed.success ? parsed.data : undefined };
  });
  const specs = new Map(candidates.map((c) => [c.key, c.spec]));
  const targets = selectTargets(spec, candidates, (ns) => world.namespaceLabels.get(ns), world.poolMembers);
  const waves = splitWaves(targets.keys, spec.strategy);
  const layer: RolloutLayer = { rollout: name, enable: spec.enable, disable: spec.disable };
  const verdicts = waves.flatMap((keys, i) => keys.map((key) => verdictOf(key, i + 1, specs.get(key)!, layersNow(key, name, world.rollouts), layer, world)));
  const tolerated = maxFailuresOf(spec.strategy.maxFailures, targets.keys.length);
  let failed = 0;
  let haltsInWave: number | undefined;
  for (let i = 0; i < waves.length && haltsInWave === undefined; i++) {
    failed += verdicts.filter((v) => v.wave === i + 1 && !v.ok).length;
    if (failed > tolerated) haltsInWave = i + 1;
  }
  const waitsFor = conflictingRollout(name, spec, targets.keys, world.rollouts);
  return {
    rollout: name,
    change: { enable: [...spec.enable], disable: [...spec.disable] },
    takenAlong: takenAlong(spec),
    waves,
    skipped: targets.skipped,
    verdicts,
    wouldFail: verdicts.filter((v) => !v.ok).length,
    tolerated,
    ...(haltsInWave !== undefined ? { haltsInWave } : {}),
    ...(waitsFor ? { waitsFor } : {}),
    ...(spec.targets.pool !== undefined && !world.poolMembers ? { poolMissing: spec.targets.pool } : {}),
    ...(world.rollouts.some((r) => r.metadata.name === name && r.status?.waves) ? { alreadyPlanned: true } : {}),
  };
}
