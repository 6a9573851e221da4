// `explain <feature>`: everything the ABI says about one feature — where it
// lives, what its annotation means, which guests get it, what it needs and
// what needs it.

import type { Feature } from "../featureset/features.ts";
import { xenMacroName } from "../featureset/features.ts";
import { deepDependentsOf, deepRequirements, directDependentsOf, directRequirements } from "../featureset/dependencies.ts";
import { hasFeature } from "../featureset/featureset.ts";
import { guestMask } from "../featureset/masks.ts";
import { closestFeatureNames, lookupFeature, unknownFeatureMessage } from "../featureset/suggest.ts";
import { WORDS, type Register } from "../featureset/words.ts";
import { describeBit } from "../audit/finding.ts";
import { XEN_RULES } from "./xen-rules.ts";

export type GuestKind = "pv" | "hvm-shadow" | "hvm-hap";

export interface GuestAvailability {
  /** on in the default policy when the host has it */
  default: boolean;
  /** may be enabled (max policy) when the host has it */
  max: boolean;
}

export interface FeatureExplanation {
  name: string;
  /** Xen's X86_FEATURE_* macro suffix, e.g. "AVX512F" */
  macro: string;
  /** word * 32 + bit */
  value: number;
  word: number;
  wordAbbrev: string;
  bit: number;
  position:
    | { kind: "cpuid"; leaf: number; subleaf?: number; register: Register; bit: number }
    | { kind: "msr"; index: number; bit: number };
  /** "CPUID 0x00000007:0.ebx[16]" */
  location: string;
  annotation: string;
  meaning: string[];
  special: boolean;
  /** "|": OR-ed, not AND-ed, when levelling a pool */
  accumulate: boolean;
  guests: Record<GuestKind, GuestAvailability>;
  requires: { direct: string[]; deep: string[] };
  requiredBy: { direct: string[]; deep: string[] };
  /** what Xen does to this feature beyond the masks */
  xenRules: string[];
}

export class UnknownFeatureError extends Error {
  override name = "UnknownFeatureError";
  readonly suggestions: string[];
  constructor(name: string) {
    const suggestions = closestFeatureNames(name);
    super(unknownFeatureMessage(name));
    this.suggestions = suggestions;
  }
}

const MEANINGS: Readonly<Record<string, string>> = {
  A: "on by default for all guests (PV, HVM shadow, HVM HAP)",
  S: "on by default for HVM guests (not PV)",
  H: "on by default for HVM guests with hardware paging (HAP) only",
  a: "opt-in for all guests: in the max policy, off by default",
  s: "opt-in for HVM guests: in the max policy, off by default",
  h: "opt-in for HVM HAP guests: in the max policy, off by default",
  "!": "special: Xen computes or overrides this bit itself",
  "|": "pool hint: OR-ed rather than AND-ed when levelling a pool",
};

const names = (fs: readonly Feature[]) => fs.map((f) => f.name);

function availability(f: Feature, guest: "pv" | "hvm", hap: boolean): GuestAvailability {
  return { default: hasFeature(guestMask(guest, "default", hap), f), max: hasFeature(guestMask(guest, "max", hap), f) };
}

export function explainFeature(name: string): FeatureExplanation {
  const f = lookupFeature(name);
  if (!f) throw new UnknownFeatureError(name);
  const s = WORDS[f.word].source;
  const position: FeatureExplanation["position"] =
    s.kind === "msr"
      ? { kind: "msr", index: s.index, bit: s.half === "hi" ? f.bit + 32 : f.bit }
      : { kind: "cpuid", leaf: s.leaf, ...(s.subleaf === null ? {} : { subleaf: s.subleaf }), register: s.register, bit: f.bit };
  const meaning = [...f.annotation].map((c) => MEANINGS[c]).filter((m) => m !== undefined);
  if (meaning.length === 0) meaning.push("Xen knows this bit but never offers it to guests");
  return {
    name: f.name,
    macro: xenMacroName(f),
    value: f.value,
    word: f.word,
    wordAbbrev: WORDS[f.word].abbrev,
    bit: f.bit,
    position,
    location: describeBit(f.word, f.bit),
    annotation: f.annotation,
    meaning,
    special: f.annotation.includes("!"),
    accumulate: f.annotation.includes("|"),
    guests: { pv: availability(f, "pv", true), "hvm-shadow": availability(f, "hvm", false), "hvm-hap": availability(f, "hvm", true) },
    requires: { direct: names(directRequirements(f)), deep: names(deepRequirements(f)) },
    requiredBy: { direct: names(directDependentsOf(f)), deep: names(deepDependentsOf(f)) },
    xenRules: [...(XEN_RULES[f.name] ?? [])],
  };
}
