// What `cpuidctl pool relevel` would do to a pool: the level its selected
// hosts give now (the same computation as the controller's,
// shared/pool/pool-members.ts), what it removes and adds relative to the
// current level, which hosts it admits, and which DomainCpuidPolicies are
// affected. Pure.

import type { CpuidPoolObject } from "../shared/api/v1alpha1/cpuid-pool.ts";
import type { DomainCpuidPolicyObject } from "../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { featureNames } from "../shared/featureset/featureset.ts";
import { policyFeatureset } from "../shared/policy/featureset-io.ts";
import { readPinnedLevel } from "../shared/pool/pinned-level.ts";
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
  /** policies whose spec.host is a member of the relevelled pool */
  affectedPolicies: { policy: string; host: string }[];
  errors: string[];
}

/** spec.host of a policy read unvalidated from the apiserver (the controller reports malformed ones). */
function specHost(p: DomainCpuidPolicyObject): string | undefined {
  const host = (p.spec as { host?: unknown } | undefined)?.host;
  return typeof host === "string" ? host : undefined;
}

export function relevelWhatIf(pool: CpuidPoolObject, selected: readonly SelectedHost[], domainPolicies: readonly DomainCpuidPolicyObject[]): WhatIf {
  const guest = pool.spec.guestType;
  const stored = readPinnedLevel(pool.metadata.annotations);
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
  const memberSet = new Set(members);
  return {
    ...base,
    newHash: level.hash,
    newFeatures,
    removes: currentFeatures.filter((f) => !next.has(f)),
    adds: newFeatures.filter((f) => !now.has(f)),
    members,
    limitingHosts: level.removed.map((r) => ({ host: r.host, removes: r.features })),
    affectedPolicies: domainPolicies
      .map((p) => ({ policy: `${p.metadata.namespace}/${p.metadata.name}`, host: specHost(p) }))
      .filter((p): p is { policy: string; host: string } => p.host !== undefined && memberSet.has(p.host))
      .sort((a, b) => (a.policy < b.policy ? -1 : 1)),
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
  lines.push(
    `affected DomainCpuidPolicies (today: those whose spec.host is a member of the relevelled pool) ${w.affectedPolicies.length}:`,
    ...w.affectedPolicies.map((p) => `  ${p.policy} on ${p.host}`),
    `to relevel: cpuidctl pool relevel ${w.pool} --confirm ${w.newHash}`,
  );
  return `${lines.join("\n")}\n`;
}
