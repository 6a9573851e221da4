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
  const tscKhz = [...new Set(hosts.flatMap((h) => (h.tsc?.khz === undefined ? [] : [h.tsc.khz])))].sort((a, b) => a - b);
  return {
    level: { policy: r.policy, hash: policyHash(r.policy), hosts: hosts.map((h) => h.host), removed: r.removed.map((x) => ({ host: x.host, features: [...x.features] })), tscKhz },
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
    // the TSC rule is about the host, not a feature it lacks: say why
    if (f.code === "tsc-incompatible") out.add(f.message);
    else if (f.features.length) for (const name of f.features) out.add(name);
    else out.add(f.message);
  }
  return [...out];
}

/**
 * Splits the hosts into those whose guest max accepts the level and those
 * refused, with what each lacks. A level with invariant TSC (itsc) also needs
 * each host to keep it for a guest started at any of the level's hosts'
 * frequencies: the same frequency, or (HVM) TSC scaling.
 */
export function admit(level: Level, hosts: readonly SelectedHost[], guest: GuestType): { members: string[]; refused: Refusal[] } {
  const members: string[] = [];
  const refused: Refusal[] = [];
  const frequencies: (number | undefined)[] = level.tscKhz.length ? level.tscKhz : [undefined];
  for (const h of hosts) {
    const to = h.tsc ? { facts: { tsc: h.tsc } } : {};
    const findings = new Map<string, Finding>();
    for (const khz of frequencies) {
      const from = khz === undefined ? {} : { facts: { tsc: { khz } } };
      for (const f of policyFits(level.policy, h.max, { guest, from, to }).findings) findings.set(f.message, f);
    }
    if (findings.size === 0) members.push(h.host);
    else refused.push({ host: h.host, missing: missingOf([...findings.values()]) });
  }
  return { members, refused };
}
