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

/**
 * The closure gen-cpuid computes, memoised depth-first (a key's closure is its
 * direct dependents and their closures), so each key's dependents are listed
 * once; meeting a key whose closure is still being built is a table bug.
 */
function deepClosures(): Map<number, Featureset> {
  const done = new Map<number, Featureset>();
  const building = new Set<number>();
  const closure = (key: number): Featureset => {
    const known = done.get(key);
    if (known) return known;
    if (building.has(key)) throw new Error(`dependency cycle through feature value ${key}`);
    building.add(key);
    const fs = emptyFeatureset();
    for (const v of valuesIn(DIRECT_DEPENDENTS.get(key)!)) {
      fs[v >>> 5] |= 1 << (v & 31);
      if (!DIRECT_DEPENDENTS.has(v)) continue;
      const deeper = closure(v);
      for (let w = 0; w < fs.length; w++) fs[w] |= deeper[w];
    }
    building.delete(key);
    done.set(key, fs);
    return fs;
  };
  const keys = [...DIRECT_DEPENDENTS.keys()].sort((a, b) => a - b);
  return new Map(keys.map((k) => [k, closure(k)]));
}

/** Feature value → everything that transitively depends on it. */
export const DEEP_DEPENDENTS: ReadonlyMap<number, Featureset> = deepClosures();

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
