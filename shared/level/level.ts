// Pool levelling: the one policy every member can run and accept. AND of the
// members' featuresets, except the "|" features and RSBA/RRSBA, which are
// "you may meet this somewhere in the pool" hints and must survive (OR) as far
// as every member accepts them; minimum max leaves; one vendor; ITSC only where
// TSC frequencies allow; leaf 0xd rebuilt. Every feature the pool loses
// relative to the union of its members is attributed to the hosts causing it.

import { FEATURES, featureByName, type Feature } from "../featureset/features.ts";
import { hasFeature, setFeature, type Featureset } from "../featureset/featureset.ts";
import { KNOWN_FEATURES, SIMPLE_OR_FEATURES, type GuestType } from "../featureset/masks.ts";
import { deepRequirements, sanitiseFeatureset } from "../featureset/dependencies.ts";
import { FEATURESET_WORDS } from "../featureset/words.ts";
import { copyPolicy, type CpuPolicy } from "../policy/cpu-policy.ts";
import { setPolicyFeatureset } from "../policy/featureset-io.ts";
import { wordVisible } from "../audit/check-leaves.ts";
import { XSAVE } from "../audit/xstate-rules.ts";
import { recalculateXstate } from "../derive/xstate.ts";
import { attributeRemovals, type Removal } from "./attribution.ts";
import type { HostFacts } from "./host-facts.ts";
import { levelFitErrors } from "./fit-check.ts";
import { applyLeafLimits, commonLeafLimits } from "./leaf-limits.ts";
import { tscVerdict } from "./tsc.ts";
import { LEAF_FIELDS, hostsOfClasses, hostsWhere, loadPoolBits, memberHas, type PoolBits } from "./pool-bits.ts";
import { emptyPolicyErrors, vendorErrors } from "./vendors.ts";
import { hostList } from "./group.ts";

export type { Removal } from "./attribution.ts";

export interface LevelMember {
  host: string;
  /** what the host contributes (usually its guest max policy) */
  policy: CpuPolicy;
  /** what the host accepts; defaults to `policy` */
  max?: CpuPolicy;
  facts?: HostFacts;
  /**
   * Content key of policy and max (e.g. HostPolicies.hashes of the guest max):
   * members with equal keys and facts are levelled once.
   */
  key?: string;
}

export interface LevelOptions {
  /** guest type being levelled; only HVM guests can have their TSC scaled */
  guest?: GuestType;
}

export interface LevelResult {
  /** null when the members cannot be levelled (see errors) */
  policy: CpuPolicy | null;
  removed: Removal[];
  errors: string[];
  /** levelled anyway, but worth knowing (hints that could not be kept, unknown TSC facts…) */
  warnings: string[];
}

const feature = (name: string) => featureByName(name)!;
const RSBA = feature("rsba");
const RRSBA = feature("rrsba");
const EIBRS = feature("eibrs");
const ARCH_CAPS = feature("arch-caps");
const ITSC = feature("itsc");
const XSTATE_LEAF = 0xd;

/** Features OR-ed across the pool: the "|" annotation plus RSBA/RRSBA (Xen §1.5, §9). */
const ACCUMULATE: Featureset = (() => {
  const fs = new Uint32Array(SIMPLE_OR_FEATURES);
  setFeature(fs, RSBA);
  setFeature(fs, RRSBA);
  return fs;
})();

const ACCUMULATED_FEATURES: readonly Feature[] = FEATURES.filter((f) => hasFeature(ACCUMULATE, f));

/**
 * An accumulated hint some member has but another will not accept, although
 * the level has everything the hint depends on: the level must drop it.
 */
function unacceptedHintWarnings(level: Featureset, union: Featureset, accept: Featureset, pool: PoolBits): string[] {
  const dependable = (f: Feature) => deepRequirements(f).every((r) => hasFeature(level, r));
  return ACCUMULATED_FEATURES.filter((f) => hasFeature(union, f) && !hasFeature(accept, f) && dependable(f)).map((f) => {
    const refusing = hostsOfClasses(pool, (i) => !memberHas(pool.accepted, i, f));
    return `${f.name} is a pool-wide hint (on at ${hostsWhere(pool, (i) => memberHas(pool.contributed, i, f))}) but ${hostList(refusing)} ${refusing.length === 1 ? "does" : "do"} not accept it, so the level cannot advertise it`;
  });
}

/**
 * Xen's RSBA/RRSBA rule for guests that can see MSR_ARCH_CAPS: if any member
 * suffers RSB underflow to alternate predictors, advertise RRSBA when eIBRS is
 * visible, else RSBA.
 */
function rsbaRule(level: Featureset, union: Featureset, accept: Featureset): string[] {
  if (!(hasFeature(union, RSBA) || hasFeature(union, RRSBA)) || !hasFeature(level, ARCH_CAPS)) return [];
  const want = hasFeature(level, EIBRS) ? RRSBA : RSBA;
  if (hasFeature(accept, want)) {
    setFeature(level, want);
    return [];
  }
  return [`${want.name} should be advertised (some host has RSBA/RRSBA behaviour) but not every host accepts it`];
}

export function levelPolicies(members: readonly LevelMember[], opts: LevelOptions = {}): LevelResult {
  const warnings: string[] = [];
  if (members.length === 0) return { policy: null, removed: [], errors: ["no hosts to level"], warnings };
  const pool = loadPoolBits(members);
  const errors = [...emptyPolicyErrors(pool), ...vendorErrors(pool)];
  if (errors.length) return { policy: null, removed: [], errors, warnings };

  const W = FEATURESET_WORDS;
  const all = new Uint32Array(W).fill(0xffffffff);
  const union = new Uint32Array(W);
  const accept = new Uint32Array(W).fill(0xffffffff);
  for (let c = 0; c < pool.classes; c++) {
    for (let w = 0; w < W; w++) {
      all[w] &= pool.contributed[c * W + w];
      union[w] |= pool.contributed[c * W + w];
      accept[w] &= pool.accepted[c * W + w];
    }
  }
  const level = new Uint32Array(FEATURESET_WORDS);
  for (let w = 0; w < FEATURESET_WORDS; w++) level[w] = (all[w] | (union[w] & ACCUMULATE[w])) & accept[w];

  const policy = copyPolicy(members[0].policy);
  applyLeafLimits(policy, commonLeafLimits(pool));
  for (let w = 0; w < FEATURESET_WORDS; w++) if (!wordVisible(policy, w)) level[w] = 0;
  const extraLosers = new Map<Feature, ReadonlySet<number>>();
  if (policy.basic[0].eax >>> 0 < XSTATE_LEAF && hasFeature(level, XSAVE)) {
    setFeature(level, XSAVE, false);
    extraLosers.set(XSAVE, withoutXstateLeaf(pool));
  }

  const facts = pool.maxes.map((_, c) => members[pool.firstMember[c]].facts);
  const hostsOf = (pred: (c: number) => boolean) => hostsOfClasses(pool, pred);
  if (hasFeature(level, ITSC)) {
    const tsc = tscVerdict(facts, opts.guest, hostsOf);
    warnings.push(...tsc.warnings);
    if (tsc.loserClasses.size) {
      setFeature(level, ITSC, false);
      extraLosers.set(ITSC, tsc.loserClasses);
    }
  }
  sanitiseFeatureset(level, KNOWN_FEATURES);
  warnings.push(...unacceptedHintWarnings(level, union, accept, pool));
  warnings.push(...rsbaRule(level, union, accept));
  warnings.push(...lbrWarnings(facts, hostsOf));

  setPolicyFeatureset(policy, level);
  policy.platformInfo = 0xffffffff;
  for (let c = 0; c < pool.classes; c++) policy.platformInfo &= pool.contributedPlatformInfo[c] & pool.acceptedPlatformInfo[c];
  policy.platformInfo >>>= 0;
  recalculateXstate(policy, members[0].policy);

  errors.push(...levelFitErrors(policy, pool, opts.guest));
  const lost = new Uint32Array(FEATURESET_WORDS);
  for (let w = 0; w < FEATURESET_WORDS; w++) lost[w] = union[w] & ~level[w];
  const removed = attributeRemovals(lost, pool, extraLosers);
  return { policy: errors.length ? null : policy, removed, errors, warnings };
}

/** The classes whose basic max leaf (offered or accepted) stops below leaf 0xd, which xsave needs. */
function withoutXstateLeaf(pool: PoolBits): Set<number> {
  const short = new Set<number>();
  for (let c = 0; c < pool.classes; c++) {
    const at = c * LEAF_FIELDS;
    if (pool.contributedLeaves[at] >>> 0 < XSTATE_LEAF || pool.acceptedLeaves[at] >>> 0 < XSTATE_LEAF) short.add(c);
  }
  return short;
}

function lbrWarnings(facts: readonly (HostFacts | undefined)[], hostsOf: (pred: (c: number) => boolean) => string[]): string[] {
  const formats = [...new Set(facts.map((f) => f?.lbrFormat).filter((f) => f !== undefined))];
  if (formats.length <= 1) return [];
  const parts = formats.map((fmt) => `format ${fmt}: ${hostList(hostsOf((c) => facts[c]?.lbrFormat === fmt))}`).join("; ");
  return [`LBR formats differ (${parts}); Xen keeps LBR out of the policy, so guests using LBR through vPMU may misread records after migrating`];
}
