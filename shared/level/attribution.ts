// Who removes what: each feature in the union of the members but not in the
// level is put on the hosts that lack it (or don't accept it, or hide its
// leaf); failing that, on the hosts that lack something it depends on.

import { FEATURES, type Feature } from "../featureset/features.ts";
import { deepRequirements } from "../featureset/dependencies.ts";
import { wordVisible } from "../audit/check-leaves.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";

export interface Removal {
  host: string;
  features: string[];
}

export interface MemberBits {
  host: string;
  policy: CpuPolicy;
  /** the member's contributed and accepted featureset words */
  contributed: Uint32Array;
  accepted: Uint32Array;
}

const on = (fs: Uint32Array, f: Feature) => (fs[f.word] & (1 << f.bit)) !== 0;

export function attributeRemovals(
  lost: Uint32Array,
  members: readonly MemberBits[],
  extraLosers: ReadonlyMap<Feature, readonly string[]>,
): Removal[] {
  const byHost = new Map<string, string[]>();
  const blame = (host: string, f: Feature) => {
    const list = byHost.get(host);
    if (list) list.push(f.name);
    else byHost.set(host, [f.name]);
  };
  for (const f of FEATURES) {
    if (!on(lost, f)) continue;
    let culprits = members.filter((m) => !on(m.contributed, f) || !on(m.accepted, f) || !wordVisible(m.policy, f.word)).map((m) => m.host);
    if (culprits.length === 0) culprits = [...(extraLosers.get(f) ?? [])];
    if (culprits.length === 0) {
      const reqs = deepRequirements(f);
      culprits = members.filter((m) => reqs.some((r) => !on(m.contributed, r) || !on(m.accepted, r))).map((m) => m.host);
    }
    for (const h of culprits) blame(h, f);
  }
  return members.filter((m) => byHost.has(m.host)).map((m) => ({ host: m.host, features: byHost.get(m.host)! }));
}
