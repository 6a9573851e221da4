// What the strict audit reports: one Finding per problem, each naming the
// features involved and where they live (featureset word/bit, CPUID
// leaf/subleaf/register or MSR), with a message a person can act on.

import type { Feature } from "../featureset/features.ts";
import type { FindingCodes, FindingJson } from "../schemas/finding.ts";
import { WORDS, type Register } from "../featureset/words.ts";
import { hex32 } from "../policy/serialise.ts";

/**
 * feature-not-in-max: a feature bit is on that the max policy does not offer ·
 * unknown-bit: a bit is on where Xen defines no feature ·
 * dependency-missing: a feature is on while one it (transitively) needs is off ·
 * arch-caps-inconsistent: MSR_ARCH_CAPABILITIES bits on while 7:0.edx ARCH_CAPS is off ·
 * max-leaf-exceeded: basic max leaf, leaf-7 max subleaf or extended max leaf above max's ·
 * feature-beyond-max-leaf: a feature sits in a leaf the policy's own max leaf hides ·
 * vendor-mismatch · msr-not-offered: PLATFORM_INFO bits beyond max's ·
 * xstate-inconsistent: leaf 0xd is not what the features call for ·
 * address-width-exceeded: leaf 0x80000008 widths above max's (Xen would clamp) ·
 * tsc-incompatible: ITSC promised where the TSC frequency differs and can't be scaled
 */
export type FindingCode = (typeof FindingCodes)[number];

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

/** The wire form (shared/schemas/finding.ts): leaf, subleaf and MSR as 8-digit lowercase hex. */
export function findingToJson(f: Finding): FindingJson {
  return {
    code: f.code,
    features: f.features,
    ...(f.word === undefined ? {} : { word: f.word }),
    ...(f.bit === undefined ? {} : { bit: f.bit }),
    ...(f.leaf === undefined ? {} : { leaf: hex32(f.leaf) }),
    ...(f.subleaf === undefined ? {} : { subleaf: hex32(f.subleaf) }),
    ...(f.register === undefined ? {} : { register: f.register }),
    ...(f.msr === undefined ? {} : { msr: hex32(f.msr) }),
    message: f.message,
  };
}
