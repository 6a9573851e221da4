// Feature lookup by name and by position, built once from the ABI table.

import { FEATURE_ROWS } from "./feature-rows.ts";
import { WORDS, type WordSource } from "./words.ts";

export interface Feature {
  /** Xen's command-line / xl name: lowercase, "-" for "_" (e.g. "lahf-lm") */
  name: string;
  /** word * 32 + bit, Xen's X86_FEATURE_* value */
  value: number;
  word: number;
  bit: number;
  /** annotation characters, sorted (e.g. "!A", "A|", "a") */
  annotation: string;
  source: WordSource;
}

export const FEATURES: readonly Feature[] = FEATURE_ROWS.map(([name, word, bit, annotation]) => ({
  name,
  value: word * 32 + bit,
  word,
  bit,
  annotation,
  source: WORDS[word].source,
}));

const byName = new Map(FEATURES.map((f) => [f.name, f]));
const byValue = new Map(FEATURES.map((f) => [f.value, f]));

export function featureByName(name: string): Feature | undefined {
  return byName.get(name);
}

export function featureByValue(value: number): Feature | undefined {
  return byValue.get(value);
}

/** Xen's macro name, e.g. "LAHF_LM" for "lahf-lm". */
export function xenMacroName(f: Feature): string {
  return f.name.toUpperCase().replace(/-/g, "_");
}

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
