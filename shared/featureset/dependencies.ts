// Xen's feature dependency table (gen-cpuid.py "deps", generated into
// dependency-rows.ts) and its deep closure. "key ⇒ dependents": each
// dependent needs the key; clearing the key clears every feature that
// transitively depends on it.

import { ARCH_CAPS_WORDS, DEPENDENCY_ROWS } from "./dependency-rows.ts";
import { FEATURES, featureByName, featureByValue, type Feature } from "./features.ts";
import { emptyFeatureset, hasFeature, setFeature, type Featureset } from "./featureset.ts";

function mustFeature(name: string): Feature {
  const f = featureByName(name);
  if (!f) throw new Error(`dependency table names unknown feature "${name}"`);
  return f;
}

function directDependents(): Map<number, Featureset> {
  const m = new Map<number, Featureset>();
  for (const [key, deps] of DEPENDENCY_ROWS) {
    const fs = emptyFeatureset();
    for (const d of deps) setFeature(fs, mustFeature(d));
    m.set(mustFeature(key).value, fs);
  }
  const archCaps = emptyFeatureset();
  for (const w of ARCH_CAPS_WORDS) archCaps[w] = 0xffffffff;
  m.set(mustFeature("arch-caps").value, archCaps);
  return m;
}

const DIRECT_DEPENDENTS = directDependents();

function valuesIn(fs: Featureset): number[] {
  const out: number[] = [];
  for (let w = 0; w < fs.length; w++) {
    for (let b = 0; b < 32; b++) if (fs[w] & (1 << b)) out.push(w * 32 + b);
  }
  return out;
}

/** Worklist closure as gen-cpuid does; a cycle back to the key is a table bug. */
function deepClosure(key: number): Featureset {
  const seen = emptyFeatureset();
  const work = [...valuesIn(DIRECT_DEPENDENTS.get(key)!)];
  while (work.length) {
    const v = work.pop()!;
    if (v === key) throw new Error(`dependency cycle through feature value ${key}`);
    if (seen[v >>> 5] & (1 << (v & 31))) continue;
    seen[v >>> 5] |= 1 << (v & 31);
    const next = DIRECT_DEPENDENTS.get(v);
    if (next) work.push(...valuesIn(next));
  }
  return seen;
}

/** Feature value → everything that transitively depends on it. */
export const DEEP_DEPENDENTS: ReadonlyMap<number, Featureset> = new Map(
  [...DIRECT_DEPENDENTS.keys()].sort((a, b) => a - b).map((k) => [k, deepClosure(k)]),
);

export const DEEP_FEATURES: Featureset = (() => {
  const fs = emptyFeatureset();
  for (const k of DEEP_DEPENDENTS.keys()) fs[k >>> 5] |= 1 << (k & 31);
  return fs;
})();

/** Features directly needed by f (the keys whose direct dependents include f). */
export function directRequirements(f: Feature): Feature[] {
  const out: Feature[] = [];
  for (const [key, deps] of DIRECT_DEPENDENTS) {
    if (deps[f.word] & (1 << f.bit)) out.push(FEATURES.find((x) => x.value === key)!);
  }
  return out;
}

/** Feature value → the keys it deeply depends on, in key order: DEEP_DEPENDENTS inverted once. */
const DEEP_REQUIREMENTS: ReadonlyMap<number, readonly Feature[]> = (() => {
  const m = new Map<number, Feature[]>();
  for (const [key, deps] of DEEP_DEPENDENTS) {
    const keyFeature = featureByValue(key)!;
    for (const v of valuesIn(deps)) {
      const list = m.get(v);
      if (list) list.push(keyFeature);
      else m.set(v, [keyFeature]);
    }
  }
  return m;
})();

/** Features whose absence would clear f (transitive requirements). */
export function deepRequirements(f: Feature): readonly Feature[] {
  return DEEP_REQUIREMENTS.get(f.value) ?? [];
}

export function directDependentsOf(f: Feature): Feature[] {
  const deps = DIRECT_DEPENDENTS.get(f.value);
  return deps ? FEATURES.filter((x) => hasFeature(deps, x)) : [];
}

export function deepDependentsOf(f: Feature): Feature[] {
  const deps = DEEP_DEPENDENTS.get(f.value);
  return deps ? FEATURES.filter((x) => hasFeature(deps, x)) : [];
}

/**
 * Xen's sanitise_featureset(): mask to KNOWN, then for every deep feature that
 * is clear, clear all its dependents. Mutates fs.
 */
export function sanitiseFeatureset(fs: Featureset, known: Featureset): void {
  for (let i = 0; i < fs.length; i++) fs[i] &= known[i];
  const disabled = emptyFeatureset();
  for (let i = 0; i < fs.length; i++) disabled[i] = ~fs[i] & DEEP_FEATURES[i];
  for (const [key, deps] of DEEP_DEPENDENTS) {
    if (!(disabled[key >>> 5] & (1 << (key & 31)))) continue;
    for (let i = 0; i < fs.length; i++) {
      fs[i] &= ~deps[i];
      disabled[i] &= ~deps[i];
    }
  }
}
