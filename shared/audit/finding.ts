// What the strict audit reports: one Finding per problem, each naming the
// features involved and where they live (featureset word/bit, CPUID
// leaf/subleaf/register or MSR), with a message a person can act on.

import type { Feature } from "../featureset/features.ts";
import { WORDS, type Register } from "../featureset/words.ts";

export type FindingCode =
  /** a feature bit is on that the max policy does not offer */
  | "feature-not-in-max"
  /** a bit is on where Xen defines no feature */
  | "unknown-bit"
  /** a feature is on while a feature it (transitively) needs is off */
  | "dependency-missing"
  /** basic max leaf, leaf 7 max subleaf or extended max leaf above max's */
  | "max-leaf-exceeded"
  /** a feature is on in a leaf beyond the policy's own max leaf, so the guest can't see it */
  | "feature-beyond-max-leaf"
  | "vendor-mismatch"
  /** MSR_PLATFORM_INFO bits the max policy does not offer */
  | "msr-not-offered"
  /** leaf 0xd does not describe the xsave states the features need */
  | "xstate-inconsistent"
  /** physical/linear address width (leaf 0x80000008) above max's */
  | "address-width-exceeded";

export const FINDING_CODES: readonly FindingCode[] = [
  "feature-not-in-max",
  "unknown-bit",
  "dependency-missing",
  "max-leaf-exceeded",
  "feature-beyond-max-leaf",
  "vendor-mismatch",
  "msr-not-offered",
  "xstate-inconsistent",
  "address-width-exceeded",
];

export interface Position {
  word?: number;
  bit?: number;
  leaf?: number;
  subleaf?: number;
  register?: Register;
  msr?: number;
}

export interface Finding extends Position {
  code: FindingCode;
  features: string[];
  message: string;
}

/** Where featureset bit (word, bit) lives: CPUID leaf/subleaf/register, or the MSR (words 16/17). */
export function bitPosition(word: number, bit: number): Position {
  const s = WORDS[word].source;
  if (s.kind === "msr") return { word, bit, msr: s.index };
  return s.subleaf === null
    ? { word, bit, leaf: s.leaf, register: s.register }
    : { word, bit, leaf: s.leaf, subleaf: s.subleaf, register: s.register };
}

export const featurePosition = (f: Feature): Position => bitPosition(f.word, f.bit);

export const hex = (n: number, digits = 8) => `0x${(n >>> 0).toString(16).padStart(digits, "0")}`;

/** "CPUID 0x00000007:0.ebx[16]" or "MSR 0x0000010a[50]" */
export function describeBit(word: number, bit: number): string {
  const s = WORDS[word].source;
  if (s.kind === "msr") return `MSR ${hex(s.index)}[${s.half === "hi" ? bit + 32 : bit}]`;
  return `CPUID ${hex(s.leaf)}${s.subleaf === null ? "" : `:${s.subleaf}`}.${s.register}[${bit}]`;
}

export const describeFeature = (f: Feature) => `${f.name} (${describeBit(f.word, f.bit)})`;

export function namesList(fs: readonly Feature[]): string {
  return fs.map((f) => f.name).join(", ");
}
