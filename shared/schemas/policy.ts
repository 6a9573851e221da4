// Wire (JSON) form of a serialised CPU policy, shared by the CLI, NATS
// messages and the CRDs: numbers as fixed-width lowercase hex, as xen-cpuid prints them.

import { z } from "zod";
import { MAX_SERIALISED_LEAVES, MAX_SERIALISED_MSRS } from "../policy/serialise.ts";

const hex = (digits: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{1,${digits}}$`), `expected up to ${digits} hex digits`)
    .transform((s) => s.toLowerCase().padStart(digits, "0"));

export const Hex32 = hex(8);
export const Hex64 = hex(16);

const register = (name: string) => Hex32.describe(`Value of ${name} for this leaf and subleaf, up to 8 hex digits.`);

export const LeafRecordJson = z.object({
  leaf: Hex32.describe("CPUID leaf (the EAX input), up to 8 hex digits."),
  subleaf: Hex32.describe("CPUID subleaf (the ECX input), up to 8 hex digits; ffffffff for a leaf without subleaves."),
  eax: register("EAX"),
  ebx: register("EBX"),
  ecx: register("ECX"),
  edx: register("EDX"),
});

export const MsrRecordJson = z.object({
  index: Hex32.describe("MSR index, up to 8 hex digits: ce (PLATFORM_INFO) or 10a (ARCH_CAPABILITIES), the MSRs Xen treats as policy."),
  // kept so that a non-zero value can be reported as Xen would
  flags: Hex32.optional().describe("Record flags, up to 8 hex digits; Xen requires 0."),
  value: Hex64.describe("MSR value, up to 16 hex digits."),
});

/** At most what XEN_DOMCTL_set_cpu_policy takes, so the apiserver refuses what Xen would. */
export const SerialisedPolicyJson = z.object({
  leaves: z.array(LeafRecordJson).max(MAX_SERIALISED_LEAVES).describe("CPUID leaf records, one per leaf and subleaf, sorted by leaf then subleaf; at most as many as Xen accepts."),
  msrs: z.array(MsrRecordJson).max(MAX_SERIALISED_MSRS).describe("MSR records; at most as many as Xen accepts."),
});
export type SerialisedPolicyJson = z.output<typeof SerialisedPolicyJson>;

export const FeaturesetText = z
  .string()
  .regex(/^[0-9a-f]{8}(:[0-9a-f]{8}){18}$/, "expected 19 words of 8 lowercase hex digits joined by ':'");

export const PolicyNames = ["raw", "host", "pv_max", "pv_default", "hvm_max", "hvm_default"] as const;
export const PolicyName = z.enum(PolicyNames);
export type PolicyName = z.infer<typeof PolicyName>;

/**
 * One policy as `cpuidctl policy derive -o json` prints it and as hosts
 * publish it: featureset, feature names, serialised leaves and MSRs.
 */
export const PolicyView = z.object({
  featureset: FeaturesetText,
  features: z.array(z.string()),
  leaves: z.array(LeafRecordJson),
  msrs: z.array(MsrRecordJson.omit({ flags: true })),
});
export type PolicyView = z.output<typeof PolicyView>;

export const PolicyViews = z.object(Object.fromEntries(PolicyNames.map((n) => [n, PolicyView])) as Record<PolicyName, typeof PolicyView>);
export type PolicyViews = z.output<typeof PolicyViews>;
