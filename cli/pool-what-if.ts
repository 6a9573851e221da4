// What `cpuidctl pool relevel` would do to a pool: the level its selected
// hosts give now (the same computation as the controller's,
// shared/pool/pool-members.ts), what it removes and adds relative to the
// current level, which hosts it admits, and which DomainCpuidPolicies are
// affected, and how. Pure.

import type { CpuidPoolObject } from "../shared/api/v1alpha1/cpuid-pool.ts";
import type { DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { featureNames } from "../shared/featureset/featureset.ts";
import { policyFeatureset } from "../shared/policy/featureset-io.ts";
import { readStoredLevel } from "../shared/pool/level-annotation.ts";
import { admit, levelHosts, type SelectedHost } from "../shared/pool/pool-members.ts";

export interface WhatIf {
  pool: string;
  guestType: string;
  currentHash?: string;
  /** undefined when the selected hosts cannot be levelled (see errors) */
  newHash?: string;
  newFeatures: string[];
  removes: string[];
  adds: string[];
  members: string[];
  limitingHosts: { host: string; removes: string[] }[];
  /** policies built from this pool's level (rebuilt from the new one) and policies on its members (where they may move changes) */
  affectedPolicies: AffectedPolicy[];
  errors: string[];
}

export interface AffectedPolicy {
  policy: string;
  host: string;
  /** rebuilt: baseline pool on this pool, its policy changes with the level (staged for running domains); member: on a member host, its policy stays and where it may move changes */
  effect: "rebuilt" | "member";
}

/** spec fields of a policy read unvalidated from the apiserver (the controller reports malformed ones). */
function specOf(p: DomainCpuidPolicyObject): { host?: string; pool?: string } {
  const spec = p.spec as { host?: unknown; baseline?: unknown; pool?: unknown } | undefined;
  return {
    ...(typeof spec?.host === "string" ? { host: spec.host } : {}),
    ...(spec?.baseline === "pool" && typeof spec.pool === "string" ? { pool: spec.pool } : {}),
  };
}

function affected(poolName: string, members: ReadonlySet<string>, domainPolicies: readonly DomainCpuidPolicyObject[]): AffectedPolicy[] {
  const out: AffectedPolicy[] = [];
  for (const p of domainPolicies) {
    const { host, pool } = specOf(p);
    if (host === undefined) continue;
    const policy = `${p.metadata.namespace}/${p.metadata.name}`;
    if (pool === poolName) out.push({ policy, host, effect: "rebuilt" });
    else if (members.has(host)) out.push({ policy, host, effect: "member" });
  }
  return out.sort((a, b) => (a.policy < b.policy ? -1 : 1));
}

export function relevelWhatIf(pool: CpuidPoolObject, selected: readonly SelectedHost[], domainPolicies: readonly DomainCpuidPolicyObject[]): WhatIf {
  const guest = pool.spec.guestType;
  const stored = readStoredLevel(pool.metadata.annotations);
  const currentFeatures = stored.level ? featureNames(policyFeatureset(stored.level.policy)) : (pool.status?.level?.features ?? []);
  const currentHash = stored.level?.hash ?? pool.status?.level?.hash;
  const base = { pool: pool.metadata.name!, guestType: guest, ...(currentHash ? { currentHash } : {}) };
  const fresh = levelHosts(selected, guest);
  if (!fresh.level) return { ...base, newFeatures: [], removes: [], adds: [], members: [], limitingHosts: [], affectedPolicies: [], errors: fresh.errors };
  const level = fresh.level;
  const newFeatures = featureNames(policyFeatureset(level.policy));
  const next = new Set(newFeatures);
  const now = new Set(currentFeatures);
  const { members } = admit(level, selected, guest);
  return {
    ...base,
    newHash: level.hash,
    newFeatures,
    removes: currentFeatures.filter((f) => !next.has(f)),
    adds: newFeatures.filter((f) => !now.has(f)),
    members,
    limitingHosts: level.removed.map((r) => ({ host: r.host, removes: r.features })),
    affectedPolicies: affected(pool.metadata.name!, new Set(members), domainPolicies),
    errors: [],
  };
}

export function whatIfText(w: WhatIf): string {
  const lines = [`pool ${w.pool} (${w.guestType}): current level ${w.currentHash ?? "(none)"}`];
  if (!w.newHash) {
    for (const e of w.errors) lines.push(`error: ${e}`);
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    `relevelled now: ${w.newHash} (${w.newFeatures.length} features)`,
    `  removes ${w.removes.length}: ${w.removes.join(" ") || "-"}`,
    `  adds ${w.adds.length}: ${w.adds.join(" ") || "-"}`,
    `  members ${w.members.length}: ${w.members.join(", ") || "-"}`,
  );
  for (const l of w.limitingHosts) lines.push(`  ${l.host} limits it by ${l.removes.length}: ${l.removes.join(" ")}`);
  const rebuilt = w.affectedPolicies.filter((p) => p.effect === "rebuilt");
  const onMembers = w.affectedPolicies.filter((p) => p.effect === "member");
  lines.push(
    `DomainCpuidPolicies built from this pool (baseline pool), rebuilt from the new level, staged for running domains: ${rebuilt.length}`,
    ...rebuilt.map((p) => `  ${p.policy} on ${p.host}`),
    `other DomainCpuidPolicies on members (policy unchanged; where they may move can change): ${onMembers.length}`,
    ...onMembers.map((p) => `  ${p.policy} on ${p.host}`),
    `to relevel: cpuidctl pool relevel ${w.pool} --confirm ${w.newHash}`,
  );
  return `${lines.join("\n")}\n`;
}
