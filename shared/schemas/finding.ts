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
  code: z.string(),
  features: z.array(z.string()),
  word: z.number().int().optional(),
  bit: z.number().int().optional(),
  leaf: z.string().optional(),
  subleaf: z.string().optional(),
  register: z.string().optional(),
  msr: z.string().optional(),
  message: z.string(),
});
export type FindingJson = z.infer<typeof FindingJson>;
