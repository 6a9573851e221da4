// The fleet report's content, from the hosts' published policies and the
// cluster's DomainCpuidPolicies, CpuidPools and CpuidRollouts: hosts with
// identical CPUs and policies grouped, each feature's state per group, the
// policies by Ready reason, each pool's level with the hosts that limit it,
// and each rollout's progress.
// Pure; cli/fleet-report/html.ts renders it.

import { FEATURES, type Feature } from "../../shared/featureset/features.ts";
import { WORDS } from "../../shared/featureset/words.ts";
import type { HostPolicies } from "../../shared/schemas/host-policies.ts";

export type FeatureState = "present" | "hidden" | "absent";

export interface HostGroup {
  /** brand string, with vendor/family/model/stepping */
  cpu: string;
  hosts: string[];
  /** feature name → state in this group's guest max */
  states: Map<string, FeatureState>;
  /** the guest type whose max policy the states are about */
  guest: "hvm" | "pv";
}

export interface LeafRow {
  /** where the word lives, e.g. "CPUID 0x00000007:0.ebx" */
  source: string;
  features: string[];
}

export interface ReportPolicy {
  namespace: string;
  name: string;
  host: string;
  domain: string;
  findings: string[];
}

export interface ReportPool {
  name: string;
  guestType: string;
  levelPolicy: string;
  /** the Ready condition: "True", "False", or "Unknown" before the first reconcile */
  ready: string;
  readyMessage: string;
  members: string[];
  /** absent while the pool has no level */
  level?: { featureCount: number; hash: string };
  limitingHosts: { host: string; removes: string[] }[];
  incompatibleHosts: { host: string; missing: string[] }[];
}

export interface ReportRollout {
  name: string;
  change: { enable: string[]; disable: string[] };
  /** the Progressing condition's reason (WaveProgressing, Paused, Halted, Complete, RolledBack, …) or "Unplanned" */
  state: string;
  halted: boolean;
  /** 1-based; 0 before the first wave */
  wave: number;
  waveCount: number;
  counts: { applied: number; staged: number; failed: number; progressing: number; pending: number; deleted: number };
}

export interface FleetReport {
  hostCount: number;
  groups: HostGroup[];
  /** features some group's CPU has, by leaf; features no CPU reports are left out */
  leaves: LeafRow[];
  /** Ready reason (Applied, Staged, AuditFailed, …, or Unknown before the first reconcile) → policies */
  policiesByState: Map<string, ReportPolicy[]>;
  policyCount: number;
  /** by name */
  pools: ReportPool[];
  /** by name */
  rollouts: ReportRollout[];
}

export interface ReportPolicyInput extends ReportPolicy {
  readyReason: string | undefined;
}

/** "hidden": the CPU (raw or host policy) has the feature but the guest max does not offer it */
function featureStates(h: HostPolicies, guest: "hvm" | "pv"): Map<string, FeatureState> {
  const cpu = new Set([...h.policies.raw.features, ...h.policies.host.features]);
  const max = new Set(h.policies[`${guest}_max`].features);
  return new Map(FEATURES.map((f) => [f.name, max.has(f.name) ? "present" : cpu.has(f.name) ? "hidden" : "absent"]));
}

function groupKey(cpu: string, guest: string, states: Map<string, FeatureState>): string {
  return [cpu, guest, ...[...states].filter(([, s]) => s !== "absent").map(([f, s]) => `${f}=${s}`)].join("\n");
}

function cpuLabel(h: HostPolicies): string {
  const { vendor, family, model, stepping, brand } = h.cpu;
  return `${brand} (${vendor} ${family}/${model}/${stepping})`;
}

export function buildFleetReport(
  hosts: readonly HostPolicies[],
  policies: readonly ReportPolicyInput[],
  pools: readonly ReportPool[],
  rollouts: readonly ReportRollout[] = [],
): FleetReport {
  const groups = new Map<string, HostGroup>();
  for (const h of [...hosts].sort((a, b) => a.hostId.localeCompare(b.hostId))) {
    const guest = h.guestTypes.includes("hvm") ? "hvm" : "pv";
    const states = featureStates(h, guest);
    const cpu = cpuLabel(h);
    const key = groupKey(cpu, guest, states);
    const group = groups.get(key) ?? { cpu, hosts: [], states, guest };
    group.hosts.push(h.hostId);
    groups.set(key, group);
  }
  const sorted = [...groups.values()].sort((a, b) => a.cpu.localeCompare(b.cpu));
  const shown = (f: Feature) => sorted.some((g) => g.states.get(f.name) !== "absent");
  const leaves = WORDS.map((w) => ({ source: w.sourceName, features: FEATURES.filter((f) => f.word === w.index && shown(f)).map((f) => f.name) })).filter((l) => l.features.length > 0);
  const policiesByState = new Map<string, ReportPolicy[]>();
  for (const { readyReason, ...p } of [...policies].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))) {
    const state = readyReason ?? "Unknown";
    policiesByState.set(state, [...(policiesByState.get(state) ?? []), p]);
  }
  return {
    hostCount: hosts.length,
    groups: sorted,
    leaves,
    policiesByState,
    policyCount: policies.length,
    pools: [...pools].sort((a, b) => a.name.localeCompare(b.name)),
    rollouts: [...rollouts].sort((a, b) => a.name.localeCompare(b.name)),
  };
}
