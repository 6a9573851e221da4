// dependency-missing: a feature is on while something it transitively needs
// is off (Xen's deep dependencies; Xen would silently clear the dependent).

import { FEATURES, featureByName } from "../featureset/features.ts";
import { DEEP_DEPENDENTS, deepRequirements } from "../featureset/dependencies.ts";
import { hasFeature } from "../featureset/featureset.ts";
import { describeFeature, featurePosition, namesList, type Finding } from "./finding.ts";

// Flattened for the clean path: for key k, its (word, mask) pairs of dependents
// are PAIR_WORD/PAIR_MASK[PAIR_START[k] .. PAIR_START[k+1]).
const keys = [...DEEP_DEPENDENTS.keys()];
const KEY_WORD = Int32Array.from(keys, (k) => k >>> 5);
const KEY_MASK = Int32Array.from(keys, (k) => 1 << (k & 31));
const PAIR_START = new Int32Array(keys.length + 1);
const pairWords: number[] = [];
const pairMasks: number[] = [];
keys.forEach((k, i) => {
  PAIR_START[i] = pairWords.length;
  const deps = DEEP_DEPENDENTS.get(k)!;
  for (let w = 0; w < deps.length; w++) {
    if (deps[w]) {
      pairWords.push(w);
      pairMasks.push(deps[w]);
    }
  }
});
PAIR_START[keys.length] = pairWords.length;
const PAIR_WORD = Int32Array.from(pairWords);
const PAIR_MASK = Int32Array.from(pairMasks);

/** True when no feature that is off has a (deep) dependent that is on. */
export function dependenciesClean(req: Uint32Array): boolean {
  for (let k = 0; k < KEY_WORD.length; k++) {
    if (req[KEY_WORD[k]] & KEY_MASK[k]) continue;
    for (let p = PAIR_START[k]; p < PAIR_START[k + 1]; p++) if (req[PAIR_WORD[p]] & PAIR_MASK[p]) return false;
  }
  return true;
}

const ARCH_CAPS = featureByName("arch-caps")!;

export function dependencyFindings(req: Uint32Array, out: Finding[]): void {
  for (const f of FEATURES) {
    if (!hasFeature(req, f)) continue;
    const missing = deepRequirements(f).filter((r) => !hasFeature(req, r));
    if (missing.length === 0) continue;
    let message = `${describeFeature(f)} is on but needs ${namesList(missing)}, which ${missing.length === 1 ? "is" : "are"} off`;
    const archCaps = missing.includes(ARCH_CAPS);
    if (archCaps) message += `; without ${describeFeature(ARCH_CAPS)} a guest cannot read MSR_ARCH_CAPABILITIES at all (#GP)`;
    out.push({
      code: archCaps ? "arch-caps-inconsistent" : "dependency-missing",
      features: [f.name, ...missing.map((m) => m.name)],
      ...featurePosition(f),
      message,
    });
  }
}
