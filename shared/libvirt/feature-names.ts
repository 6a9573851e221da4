// Our feature names and libvirt's, paired by the bit each stands for: a
// libvirt feature whose CPUID leaf/subleaf/register (or MSR_ARCH_CAPS half)
// is one of our featureset words names the feature at the same bit of that
// word. Features only one side knows stay unpaired.

import { featureByValue } from "../featureset/features.ts";
import { WORDS, type WordInfo } from "../featureset/words.ts";
import type { LibvirtFeature, LibvirtFeatureBit } from "./cpu-map.ts";

export interface FeatureNamePairs {
  /** our name → libvirt's */
  toLibvirt: ReadonlyMap<string, string>;
  /** libvirt's name or any alias → ours */
  toOurs: ReadonlyMap<string, string>;
}

function wordOf(at: LibvirtFeatureBit): { word: WordInfo; bit: number } | undefined {
  if (at.kind === "msr") {
    const half = at.bit < 32 ? "lo" : "hi";
    const word = WORDS.find((w) => w.source.kind === "msr" && w.source.index === at.index && w.source.half === half);
    return word && { word, bit: at.bit % 32 };
  }
  const word = WORDS.find(
    (w) => w.source.kind === "cpuid" && w.source.leaf === at.leaf && (w.source.subleaf ?? 0) === (at.subleaf ?? 0) && w.source.register === at.register,
  );
  return word && { word, bit: at.bit };
}

export function pairFeatureNames(features: readonly LibvirtFeature[]): FeatureNamePairs {
  const toLibvirt = new Map<string, string>();
  const toOurs = new Map<string, string>();
  for (const f of features) {
    const at = wordOf(f.at);
    const ours = at && featureByValue(at.word.index * 32 + at.bit);
    if (!ours) continue;
    toLibvirt.set(ours.name, f.name);
    for (const name of [f.name, ...f.aliases]) toOurs.set(name, ours.name);
  }
  return { toLibvirt, toOurs };
}
