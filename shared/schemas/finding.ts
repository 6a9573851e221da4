// An audit finding as it travels: CLI JSON, agent replies, CRD status.

import { z } from "zod";

export const FindingCodes = [
  "feature-not-in-max",
  "unknown-bit",
  "dependency-missing",
  "max-leaf-exceeded",
  "vendor-mismatch",
  "msr-not-offered",
  "xstate-inconsistent",
  "arch-caps-inconsistent",
  "feature-beyond-max-leaf",
  "address-width-exceeded",
  "tsc-incompatible",
] as const;

export const FindingJson = z.object({
  code: z.string().describe(`What kind of problem: ${FindingCodes.join(", ")}.`),
  features: z.array(z.string()).describe("Names of the features involved (Xen's names)."),
  word: z.number().int().optional().describe("Featureset word (0-18) of the bit concerned."),
  bit: z.number().int().optional().describe("Bit (0-31) within that featureset word."),
  leaf: z.string().optional().describe("CPUID leaf of the bit concerned, 8 hex digits."),
  subleaf: z.string().optional().describe("CPUID subleaf of the bit concerned, 8 hex digits."),
  register: z.string().optional().describe("CPUID output register of the bit concerned: eax, ebx, ecx or edx."),
  msr: z.string().optional().describe("MSR index concerned, 8 hex digits."),
  message: z.string().describe("The problem in words, naming feature, bit and leaf, and what would fix it."),
});
export type FindingJson = z.infer<typeof FindingJson>;
