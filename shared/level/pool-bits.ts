// Everything levelling reads from the members, gathered in one pass into flat
// typed arrays, once per class of identical members (member-classes.ts; class
// c's featureset at [c*19, c*19+19)): levelling 10,000 hosts must neither
// allocate per host nor read the same CPU model's policy again.

import type { Feature } from "../featureset/features.ts";
import { FEATURESET_WORDS } from "../featureset/words.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { loadFeatureWords } from "../audit/policy-words.ts";
import { hostList } from "./group.ts";
import { memberClasses, type ClassedMember } from "./member-classes.ts";

/** Per member and policy: basic max leaf, leaf-7 max subleaf, extended max leaf, 0x80000008.eax. */
export const LEAF_FIELDS = 4;

export interface PoolBits {
  /** every member's host name, in member order */
  hosts: readonly string[];
  /** member index → class index; every other array is per class */
  classOf: Uint32Array;
  classes: number;
  /** class index → index of its first member */
  firstMember: readonly number[];
  /** what each class contributes, and what it accepts (its max) */
  policies: readonly CpuPolicy[];
  maxes: readonly CpuPolicy[];
  contributed: Uint32Array;
  accepted: Uint32Array;
  contributedLeaves: Uint32Array;
  acceptedLeaves: Uint32Array;
  /** leaf 0 ebx, ecx, edx of the contributed policy */
  vendor: Uint32Array;
  contributedPlatformInfo: Uint32Array;
  acceptedPlatformInfo: Uint32Array;
}

function loadLeaves(p: CpuPolicy, out: Uint32Array, i: number): void {
  out[i * LEAF_FIELDS] = p.basic[0].eax;
  out[i * LEAF_FIELDS + 1] = p.feat[0].eax;
  out[i * LEAF_FIELDS + 2] = p.extd[0].eax;
  out[i * LEAF_FIELDS + 3] = p.extd[8].eax;
}

export function loadPoolBits(members: readonly ClassedMember[]): PoolBits {
  const { reps, classOf, firstMember } = memberClasses(members);
  const n = reps.length;
  const W = FEATURESET_WORDS;
  const pool: PoolBits = {
    hosts: members.map((m) => m.host),
    classOf,
    classes: n,
    firstMember,
    policies: reps.map((m) => m.policy),
    maxes: reps.map((m) => m.max ?? m.policy),
    contributed: new Uint32Array(n * W),
    accepted: new Uint32Array(n * W),
    contributedLeaves: new Uint32Array(n * LEAF_FIELDS),
    acceptedLeaves: new Uint32Array(n * LEAF_FIELDS),
    vendor: new Uint32Array(n * 3),
    contributedPlatformInfo: new Uint32Array(n),
    acceptedPlatformInfo: new Uint32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const p = pool.policies[i];
    const max = pool.maxes[i];
    loadFeatureWords(p, pool.contributed, i * W);
    loadFeatureWords(max, pool.accepted, i * W);
    loadLeaves(p, pool.contributedLeaves, i);
    loadLeaves(max, pool.acceptedLeaves, i);
    const l0 = p.basic[0];
    pool.vendor[i * 3] = l0.ebx;
    pool.vendor[i * 3 + 1] = l0.ecx;
    pool.vendor[i * 3 + 2] = l0.edx;
    pool.contributedPlatformInfo[i] = p.platformInfo;
    pool.acceptedPlatformInfo[i] = max.platformInfo;
  }
  return pool;
}

/** Whether class c has feature f in `words` (pool.contributed or pool.accepted). */
export const memberHas = (words: Uint32Array, c: number, f: Feature) => (words[c * FEATURESET_WORDS + f.word] & (1 << f.bit)) !== 0;

/** The hosts, in member order, whose class satisfies pred. */
export function hostsOfClasses(pool: PoolBits, pred: (c: number) => boolean): string[] {
  return pool.hosts.filter((_, i) => pred(pool.classOf[i]));
}

/** The hosts whose class satisfies pred, listed for a message. */
export function hostsWhere(pool: PoolBits, pred: (c: number) => boolean): string {
  return hostList(hostsOfClasses(pool, pred));
}
