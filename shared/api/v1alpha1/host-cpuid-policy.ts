// HostCpuidPolicy (cpuidfleet.io/v1alpha1, cluster-scoped, short name hcp): a
// small status-only mirror of what a host's agent published (no leaves:
// digests and counts).

import type { V1ObjectMeta } from "@kubernetes/client-node";
import { z } from "zod";
import { Condition } from "../../schemas/conditions.ts";
import { FeaturesetText, PolicyName } from "../../schemas/policy.ts";

export const HOST_CPUID_POLICY_DESCRIPTION =
  "The CPUID policies a Xen host's agent published, mirrored by the controller: the host's CPU, and a summary of its raw, host and guest policies. Status only; the agent is the source.";

export const PolicySummary = z
  .object({
    hash: z.string().describe("Content hash (sha256 of Xen's canonical serialised form) of the policy."),
    featureset: FeaturesetText.describe("Feature bits of the policy: 19 featureset words of 8 hex digits joined by ':'."),
    featureCount: z.number().int().nonnegative().describe("How many named features the policy has."),
  })
  .describe("One of the host's policies, summarised: its hash, its feature bits and how many features it has.");

export const HostCpuidPolicyStatus = z
  .object({
    hostId: z.string().optional().describe("Id of the host (its agent's --host-id)."),
    vendor: z.string().optional().describe("CPU vendor: intel, amd, centaur, shanghai, hygon or unknown."),
    family: z.number().int().optional().describe("CPU family, as CPUID leaf 1 reports it (with the extended family)."),
    model: z.number().int().optional().describe("CPU model, as CPUID leaf 1 reports it (with the extended model)."),
    stepping: z.number().int().optional().describe("CPU stepping, from CPUID leaf 1."),
    brand: z.string().optional().describe("CPU brand string (CPUID leaves 0x80000002-0x80000004)."),
    fingerprint: z
      .string()
      .optional()
      .describe("Digest of what the host's policies are derived from (raw CPUID, Xen version, microcode, command line); a change makes the agent publish again."),
    xenVersion: z.string().optional().describe("Version of Xen running on the host, when the agent reads Xen's own policies."),
    policies: z
      .record(PolicyName, PolicySummary)
      .optional()
      .describe("The host's six policies: raw (the hardware), host (what Xen uses), pv_max, pv_default, hvm_max and hvm_default."),
    publishedAt: z.string().optional().describe("When the agent published these policies (RFC 3339)."),
    lastSeen: z.string().optional().describe("When the agent was last heard from, by publication or heartbeat (RFC 3339)."),
    conditions: z
      .array(Condition)
      .optional()
      .describe("Ready (the host's policies are published and current) and Stale (the agent has not been heard from for too long)."),
  })
  .describe("What the host's agent last published and when it was last heard from.");
export type HostCpuidPolicyStatus = z.infer<typeof HostCpuidPolicyStatus>;

export interface HostCpuidPolicyObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  status?: HostCpuidPolicyStatus;
}
