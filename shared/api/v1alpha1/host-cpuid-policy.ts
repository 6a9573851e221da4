// HostCpuidPolicy (cpuidfleet.io/v1alpha1, cluster-scoped, short name hcp): a
// small status-only mirror of what a host's agent published (no leaves:
// digests and counts).

import type { V1ObjectMeta } from "@kubernetes/client-node";
import { z } from "zod";
import { Condition } from "../../schemas/conditions.ts";
import { FeaturesetText, PolicyName } from "../../schemas/policy.ts";

export const PolicySummary = z.object({
  hash: z.string(),
  featureset: FeaturesetText,
  featureCount: z.number().int().nonnegative(),
});

export const HostCpuidPolicyStatus = z.object({
  hostId: z.string().optional(),
  vendor: z.string().optional(),
  family: z.number().int().optional(),
  model: z.number().int().optional(),
  stepping: z.number().int().optional(),
  brand: z.string().optional(),
  fingerprint: z.string().optional(),
  xenVersion: z.string().optional(),
  policies: z.record(PolicyName, PolicySummary).optional(),
  publishedAt: z.string().optional(),
  lastSeen: z.string().optional(),
  conditions: z.array(Condition).optional(),
});
export type HostCpuidPolicyStatus = z.infer<typeof HostCpuidPolicyStatus>;

export interface HostCpuidPolicyObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  status?: HostCpuidPolicyStatus;
}
