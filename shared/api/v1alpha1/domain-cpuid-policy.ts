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

export const DomainCpuidPolicySpec = z
  .object({
    /** host id the domain lives on (the agent's --host-id) */
    host: z.string().min(1).max(253),
    domain: DomainName,
    guestType: GuestType,
    baseline: Baseline.default("default"),
    /** CpuidPool name, required with baseline "pool" */
    pool: z.string().min(1).max(253).optional(),
    enable: z.array(FeatureName).max(287).default([]),
    disable: z.array(FeatureName).max(287).default([]),
    /** a full serialised policy, for experts; replaces baseline/enable/disable */
    policy: SerialisedPolicyJson.optional(),
  })
  .superRefine((s, ctx) => {
    const both = s.enable.filter((f) => s.disable.includes(f));
    if (both.length) ctx.addIssue({ code: "custom", path: ["enable"], message: `features both enabled and disabled: ${both.join(", ")}` });
    if (s.baseline === "pool" && !s.pool) ctx.addIssue({ code: "custom", path: ["pool"], message: "spec.pool is required when spec.baseline is pool" });
    if (s.baseline !== "pool" && s.pool) ctx.addIssue({ code: "custom", path: ["pool"], message: "spec.pool is only valid with spec.baseline: pool" });
    if (s.policy && (s.enable.length || s.disable.length)) {
      ctx.addIssue({ code: "custom", path: ["policy"], message: "spec.policy replaces enable/disable; give one or the other" });
    }
  });
export type DomainCpuidPolicySpec = z.output<typeof DomainCpuidPolicySpec>;

export const Activation = z.enum(["Active", "Staged", "Pending"]);

export const DomainCpuidPolicyStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: z.array(Condition).optional(),
  findings: z.array(FindingJson).optional(),
  /** the effective (requested) policy */
  policyHash: z.string().optional(),
  featureset: FeaturesetText.optional(),
  /** features added / removed versus the host's default for this guest type */
  addedFeatures: z.array(z.string()).optional(),
  removedFeatures: z.array(z.string()).optional(),
  /** hash the agent confirmed applied or staged */
  appliedHash: z.string().optional(),
  /** hash of the host max policy the audit ran against */
  hostPolicyHash: z.string().optional(),
  /** Active: the domain runs with it; Staged: takes effect at the domain's next start */
  activation: Activation.optional(),
  domainState: z.string().optional(),
  lastRequestId: z.string().optional(),
});
export type DomainCpuidPolicyStatus = z.infer<typeof DomainCpuidPolicyStatus>;

export interface DomainCpuidPolicyObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  /** validated by the reader (DomainCpuidPolicySpec): the CRD installed may be older than the code */
  spec: unknown;
  status?: DomainCpuidPolicyStatus;
}
