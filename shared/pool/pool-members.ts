// Who is in a pool and what its level is: the hosts whose HostCpuidPolicy
// labels match the selector and whose guest max is known, levelled with
// shared/level; for a pinned level, which of them can run it (and, for those
// that cannot, every missing feature). Shared by the controller and
// `cpuidctl pool relevel`, so the what-if is what the controller will do. Pure.

import type { Finding } from "../audit/finding.ts";
import type { LabelSelector } from "../labels/label-selector.ts";
import { selectorMatches } from "../labels/label-selector.ts";
import { policyFits } from "../level/compat.ts";
import { levelPolicies } from "../level/level.ts";
import { policyHash } from "../policy/canonical.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import type { GuestType } from "../schemas/guest.ts";
import type { Level } from "./level-annotation.ts";

export interface PoolCandidate {
  host: string;
  labels: Readonly<Record<string, string>> | undefined;
  /** the host's guest max of the pool's guest type; undefined until it is published */
  max: CpuPolicy | undefined;
  tsc?: { khz?: number; scaling?: boolean };
}

export interface SelectedHost {
  host: string;
  max: CpuPolicy;
  tsc?: { khz?: number; scaling?: boolean };
}

export function selectHosts(candidates: readonly PoolCandidate[], selector: LabelSelector): SelectedHost[] {
  return candidates
    .filter((c) => c.max !== undefined && selectorMatches(selector, c.labels))
    .map((c) => ({ host: c.host, max: c.max!, ...(c.tsc ? { tsc: c.tsc } : {}) }))
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

export type Levelled = { level: Level; errors?: undefined } | { level?: undefined; errors: string[] };

export function levelHosts(hosts: readonly SelectedHost[], guest: GuestType): Levelled {
  if (hosts.length === 0) return { errors: ["no hosts to level"] };
  const r = levelPolicies(
    hosts.map((h) => ({ host: h.host, policy: h.max, ...(h.tsc ? { facts: { tsc: h.tsc } } : {}) })),
    { guest },
  );
  if (!r.policy) return { errors: r.errors };
  return {
    level: { policy: r.policy, hash: policyHash(r.policy), hosts: hosts.map((h) => h.host), removed: r.removed.map((x) => ({ host: x.host, features: [...x.features] })) },
  };
}

export interface Refusal {
  host: string;
  /** feature names, and the message of each finding that names no feature */
  missing: string[];
}

function missingOf(findings: readonly Finding[]): string[] {
  const out = new Set<string>();
  for (const f of findings) {
    if (f.features.length) for (const name of f.features) out.add(name);
    else out.add(f.message);
  }
  return [...out];
}

/** Splits the hosts into those whose guest max accepts the level and those refused, with what each lacks. */
export function admit(level: Level, hosts: readonly SelectedHost[], guest: GuestType): { members: string[]; refused: Refusal[] } {
  const members: string[] = [];
  const refused: Refusal[] = [];
  for (const h of hosts) {
    const fit = policyFits(level.policy, h.max, { guest });
    if (fit.fits) members.push(h.host);
    else refused.push({ host: h.host, missing: missingOf(fit.findings) });
  }
  return { members, refused };
}
