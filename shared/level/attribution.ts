// Who removes what: each feature in the union of the members but not in the
// level is put on the hosts that lack it, don't accept it, or hide its leaf;
// a feature no host lacks directly (lost through a pool rule or a dependency)
// goes to the hosts the rule names or that lack (or, by a rule, lose)
// something it depends on.
// Built word-wise per class of identical hosts; hosts with the same removals
// share one name list.

import { FEATURES, type Feature } from "../featureset/features.ts";
import { deepRequirements } from "../featureset/dependencies.ts";
import { featureNames, hasFeature } from "../featureset/featureset.ts";
import { FEATURESET_WORDS } from "../featureset/words.ts";
import { wordVisibleAt } from "../audit/check-leaves.ts";
import { LEAF_FIELDS, memberHas, type PoolBits } from "./pool-bits.ts";

export interface Removal {
  host: string;
  /** may be shared between hosts with the same removals: do not mutate */
  features: readonly string[];
}

/** Features of `unblamed` (lost, but no host lacks them directly) by class to blame. */
function indirectLosses(unblamed: Uint32Array, pool: PoolBits, ruleLosers: ReadonlyMap<Feature, ReadonlySet<number>>) {
  const byClass = new Map<number, string[]>();
  for (const f of FEATURES) {
    if (!hasFeature(unblamed, f)) continue;
    const rule = ruleLosers.get(f);
    const reqs = rule?.size ? [] : deepRequirements(f);
    const lacks = (c: number, r: Feature) => !memberHas(pool.contributed, c, r) || !memberHas(pool.accepted, c, r) || ruleLosers.get(r)?.has(c) === true;
    const blame = (c: number) => (rule?.size ? rule.has(c) : reqs.some((r) => lacks(c, r)));
    for (let c = 0; c < pool.classes; c++) {
      if (!blame(c)) continue;
      const list = byClass.get(c);
      if (list) list.push(f.name);
      else byClass.set(c, [f.name]);
    }
  }
  return byClass;
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if (a[w] !== b[w]) return false;
  return true;
}

/** Names of one removal pattern, computed once per distinct pattern (keyed by a word hash). */
class NameCache {
  private readonly entries = new Map<number, { words: Uint32Array; names: readonly string[] }[]>();
  names(words: Uint32Array): readonly string[] {
    let h = 0x811c9dc5;
    for (let w = 0; w < words.length; w++) h = Math.imul(h ^ words[w], 0x01000193);
    const bucket = this.entries.get(h) ?? [];
    const hit = bucket.find((e) => sameWords(e.words, words));
    if (hit) return hit.names;
    const names = Object.freeze(featureNames(words));
    bucket.push({ words: words.slice(), names });
    this.entries.set(h, bucket);
    return names;
  }
}

/** ruleLosers: the classes a pool rule (e.g. the TSC rule) blames for a feature it removed. */
export function attributeRemovals(lost: Uint32Array, pool: PoolBits, ruleLosers: ReadonlyMap<Feature, ReadonlySet<number>>): Removal[] {
  const W = FEATURESET_WORDS;
  const n = pool.classes;
  const direct = new Uint32Array(n * W);
  const blamed = new Uint32Array(W);
  const leaves = pool.contributedLeaves;
  for (let c = 0; c < n; c++) {
    for (let w = 0; w < W; w++) {
      const at = c * LEAF_FIELDS;
      const visible = wordVisibleAt(leaves[at], leaves[at + 1], leaves[at + 2], w);
      const kept = visible ? pool.contributed[c * W + w] & pool.accepted[c * W + w] : 0;
      const mine = lost[w] & ~kept;
      direct[c * W + w] = mine;
      blamed[w] |= mine;
    }
  }
  const unblamed = new Uint32Array(W);
  for (let w = 0; w < W; w++) unblamed[w] = lost[w] & ~blamed[w];
  const indirect = unblamed.some((x) => x !== 0) ? indirectLosses(unblamed, pool, ruleLosers) : new Map<number, string[]>();

  const cache = new NameCache();
  const mine = new Uint32Array(W);
  const byClass = new Array<readonly string[] | undefined>(n).fill(undefined);
  let anyClass = false;
  for (let c = 0; c < n; c++) {
    let any = 0;
    for (let w = 0; w < W; w++) any |= mine[w] = direct[c * W + w];
    const extra = indirect.get(c);
    if (!any && !extra) continue;
    const names = any ? cache.names(mine) : [];
    byClass[c] = extra ? [...names, ...extra] : names;
    anyClass = true;
  }
  const out: Removal[] = [];
  if (!anyClass) return out;
  for (let i = 0; i < pool.hosts.length; i++) {
    const features = byClass[pool.classOf[i]];
    if (features) out.push({ host: pool.hosts[i], features });
  }
  return out;
}
