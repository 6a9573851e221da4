// DomainCpuidPolicy (cpuidfleet.io/v1alpha1, namespaced, short name dcp):
// spec, status and the object as it is read from the apiserver. crds/ is
// generated from these schemas (crds.ts).

import type { V1ObjectMeta } from "@kubernetes/client-node";
import { z } from "zod";
import { FEATURE_NAMES } from "../../featureset/features.ts";
import { DomainName } from "../../schemas/agent-messages.ts";
import { Condition } from "../../schemas/conditions.ts";
import { FindingJson } from "../../schemas/finding.ts";
import { GuestType } from "../../schemas/guest.ts";
import { FeaturesetText, SerialisedPolicyJson } from "../../schemas/policy.ts";

export const FeatureName = z.enum(FEATURE_NAMES as [string, ...string[]]);

export const Baseline = z.enum(["default", "max", "pool"]);

export const DOMAIN_CPUID_POLICY_DESCRIPTION =
  "The CPUID policy of one Xen domain: what it asks for on top of its host's policies. The controller audits it against the host's guest max policy, reports every finding, and sends it to the host's agent when it fits.";

export const DomainCpuidPolicySpec = z
  .object({
    host: z.string().min(1).max(253).describe("Id of the host the domain lives on: the --host-id its cpuid-fleet-agent publishes under."),
    domain: DomainName.describe("Name of the Xen domain on that host (letters, digits, '_', '.', '-')."),
    guestType: GuestType.describe("Guest type of the domain, hvm or pv: the policy is audited against the host's guest max policy for this type."),
    baseline: Baseline.default("default").describe(
      "What the policy starts from before enable and disable: default (the host's default policy for the guest type, migration-safe), max (all the host may give such a guest) or pool (the level of spec.pool).",
    ),
    pool: z.string().min(1).max(253).optional().describe("Name of the CpuidPool whose level is the baseline; required with baseline pool, forbidden otherwise."),
    enable: z
      .array(FeatureName)
      .max(287)
      .default([])
      .describe("Features to turn on over the baseline, by Xen's name (e.g. avx512f); each must be in the host's guest max, with the features it needs."),
    disable: z
      .array(FeatureName)
      .max(287)
      .default([])
      .describe("Features to turn off, by Xen's name; every feature that depends on one of them goes off with it."),
    policy: SerialisedPolicyJson.optional().describe(
      "A full serialised CPUID policy in Xen's form (leaf and MSR records), for experts: replaces baseline, enable and disable.",
    ),
  })
  .superRefine((s, ctx) => {
    const both = s.enable.filter((f) => s.disable.includes(f));
    if (both.length) ctx.addIssue({ code: "custom", path: ["enable"], message: `features both enabled and disabled: ${both.join(", ")}` });
    if (s.baseline === "pool" && !s.pool) ctx.addIssue({ code: "custom", path: ["pool"], message: "spec.pool is required when spec.baseline is pool" });
    if (s.baseline !== "pool" && s.pool) ctx.addIssue({ code: "custom", path: ["pool"], message: "spec.pool is only valid with spec.baseline: pool" });
    if (s.policy && (s.enable.length || s.disable.length)) {
      ctx.addIssue({ code: "custom", path: ["policy"], message: "spec.policy replaces enable/disable; give one or the other" });
    }
  })
  .describe("What the domain's CPUID policy should be.");
export type DomainCpuidPolicySpec = z.output<typeof DomainCpuidPolicySpec>;

export const Activation = z.enum(["Active", "Staged", "Pending"]);

/** How many names acceptingHosts.hosts lists at most. */
export const ACCEPTING_HOSTS_LISTED = 10;

export const AcceptingHosts = z
  .object({
    count: z.number().int().min(0).describe("How many published, fresh hosts' guest max policies (for the guest type) accept the effective policy, this policy's own host included."),
    hosts: z.array(z.string()).max(ACCEPTING_HOSTS_LISTED).describe(`The first ${ACCEPTING_HOSTS_LISTED} of them by name.`),
  })
  .describe("The hosts the domain could move to with its effective policy, as a migration check would find them.");
export type AcceptingHosts = z.infer<typeof AcceptingHosts>;

export const PoolAcceptance = z
  .object({
    pool: z.string().describe("The CpuidPool of spec.pool."),
    levelHash: z.string().describe("Hash of the pool level the effective policy was built from."),
    members: z.number().int().min(0).describe("How many members the pool has (status.members of the pool)."),
    count: z.number().int().min(0).describe("How many of those members' guest max policies accept the effective policy."),
    hosts: z.array(z.string()).max(ACCEPTING_HOSTS_LISTED).describe(`The first ${ACCEPTING_HOSTS_LISTED} accepting members by name.`),
    refusing: z.array(z.string()).max(ACCEPTING_HOSTS_LISTED).describe(`The first ${ACCEPTING_HOSTS_LISTED} members that refuse it, by name.`),
  })
  .describe("For baseline pool: which members of the pool the domain could move to with its effective policy.");
export type PoolAcceptance = z.infer<typeof PoolAcceptance>;

export const DomainCpuidPolicyStatus = z
  .object({
    observedGeneration: z.number().int().optional().describe("metadata.generation of the spec this status is about."),
    conditions: z
      .array(Condition)
      .optional()
      .describe(
        "Audited (the policy fits the host's guest max, and for baseline pool the pool's level), Applied (the host's agent took it), Ready (both) and Migratable (baseline pool: every pool member accepts the effective policy; otherwise: some other host does).",
      ),
    findings: z
      .array(FindingJson)
      .optional()
      .describe("Every problem the audit found, or the host's agent found when it rejected the policy; empty when it fits."),
    policyHash: z.string().optional().describe("Content hash (sha256 of Xen's canonical serialised form) of the policy the spec asks for."),
    featureset: FeaturesetText.optional().describe("Feature bits of that policy: 19 featureset words of 8 hex digits joined by ':'."),
    addedFeatures: z.array(z.string()).optional().describe("Features the policy has that the host's default for the guest type lacks."),
    removedFeatures: z.array(z.string()).optional().describe("Features of the host's default for the guest type that the policy lacks."),
    appliedHash: z.string().optional().describe("policyHash of the policy the host's agent last confirmed applied or staged."),
    hostPolicyHash: z.string().optional().describe("Content hash of the host's guest max policy the audit ran against."),
    activation: Activation.optional().describe(
      "Active: the domain runs with the applied policy; Staged: the policy takes effect at the domain's next start; Pending: the host has not taken it yet.",
    ),
    domainState: z.string().optional().describe("State of the domain as the host's agent last reported it: absent, paused, running or shutdown."),
    lastRequestId: z.string().optional().describe("Id of the last request sent to the host's agent for this policy."),
    host: z
      .string()
      .optional()
      .describe("The host this status is about (spec.host when it was last audited). A spec.host that differs from it while nothing else in the spec changed is a move."),
    requestDigest: z
      .string()
      .optional()
      .describe("Digest of what the spec asks for besides the host (domain, guest type, baseline, pool, enable, disable, policy): tells a move from a new request."),
    carriedPolicy: SerialisedPolicyJson.optional().describe(
      "The effective policy in Xen's serialised form once the domain moved to another host with it (spec.host changed, nothing else): it travels with the domain and is no longer what the spec builds on spec.host. Absent otherwise; then the effective policy is the spec built on status.host.",
    ),
    movedFrom: z.string().optional().describe("The host the domain last moved from with its policy."),
    acceptingHosts: AcceptingHosts.optional(),
    poolAcceptance: PoolAcceptance.optional(),
    rollouts: z
      .array(z.string())
      .optional()
      .describe("The CpuidRollouts whose change is part of the effective policy (their waves have reached this policy; the spec itself is never edited), oldest first."),
  })
  .describe("What the controller found and did: the audit's outcome and whether the host applied the policy.");
export type DomainCpuidPolicyStatus = z.infer<typeof DomainCpuidPolicyStatus>;

export interface DomainCpuidPolicyObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  /** validated by the reader (DomainCpuidPolicySpec): the CRD installed may be older than the code */
  spec: unknown;
  status?: DomainCpuidPolicyStatus;
}
