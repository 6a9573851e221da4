// CpuidPool (cpuidfleet.io/v1alpha1, cluster-scoped, short name cpool): a set
// of hosts chosen by labels on their HostCpuidPolicy, and the CPUID level every
// member can run and accept. crds/ is generated from these schemas (crds.ts).

import type { V1ObjectMeta } from "@kubernetes/client-node";
import { z } from "zod";
import { Condition } from "../../schemas/conditions.ts";
import { GuestType } from "../../schemas/guest.ts";
import { FeaturesetText } from "../../schemas/policy.ts";
import { LabelSelector } from "../../labels/label-selector.ts";

export const CPUID_POOL_DESCRIPTION =
  "A migration pool: the hosts whose HostCpuidPolicy labels match hostSelector, and the CPUID level (the one policy every member can run and accept) a domain may rely on anywhere in the pool.";

export const LevelPolicy = z.enum(["Pinned", "Automatic"]);
export type LevelPolicy = z.infer<typeof LevelPolicy>;

export const CpuidPoolSpec = z
  .object({
    hostSelector: LabelSelector.describe(
      "Which hosts belong to the pool: a label selector over HostCpuidPolicy labels (e.g. cpuidfleet.io/vendor: intel). An empty selector selects every host.",
    ),
    guestType: GuestType.describe("Guest type the pool is levelled for, hvm or pv: the level is computed from the members' guest max policies of this type."),
    levelPolicy: LevelPolicy.default("Pinned").describe(
      "Pinned (default): the level is computed once from the first members and then kept; a host that cannot run it is not admitted, a stronger host never raises it, and only `cpuidctl pool relevel` lowers it. Automatic: the level follows membership.",
    ),
  })
  .describe("Which hosts form the pool, for which guest type, and whether its level is pinned.");
export type CpuidPoolSpec = z.infer<typeof CpuidPoolSpec>;

export const PoolLevel = z
  .object({
    featureset: FeaturesetText.describe("Feature bits of the level: 19 featureset words of 8 hex digits joined by ':'."),
    features: z.array(z.string()).describe("Names of the level's features, in featureset order."),
    hash: z.string().describe("Content hash of the level policy (sha256 of Xen's canonical serialised form); `cpuidctl pool relevel --confirm` takes it."),
    hosts: z.array(z.string()).describe("The hosts the level was computed from (for a Pinned pool: the members when it was pinned)."),
  })
  .describe("The pool's level: the policy every member can run and accept.");
export type PoolLevel = z.infer<typeof PoolLevel>;

export const LimitingHost = z
  .object({
    host: z.string().describe("Name of the host."),
    removes: z.array(z.string()).describe("Features the level lacks because of this host, relative to the union of the members."),
  })
  .describe("A host that limits the level, and what it removes.");

export const IncompatibleHost = z
  .object({
    host: z.string().describe("Name of the host."),
    missing: z.array(z.string()).describe("Features of the level, or problems, the host's guest max policy lacks or refuses."),
  })
  .describe("A selected host that cannot run the pinned level, and why.");

export const CpuidPoolStatus = z
  .object({
    observedGeneration: z.number().int().nonnegative().optional().describe("metadata.generation of the pool this status describes."),
    members: z.array(z.string()).optional().describe("Hosts in the pool: selected, with a published guest max policy, and able to run the level."),
    memberCount: z.number().int().nonnegative().optional().describe("How many members the pool has."),
    level: PoolLevel.optional().describe("The level of the pool; absent while it has no members or cannot be levelled."),
    featureCount: z.number().int().nonnegative().optional().describe("How many features the level has."),
    limitingHosts: z.array(LimitingHost).optional().describe("Members that remove features from the level, and which."),
    incompatibleHosts: z.array(IncompatibleHost).optional().describe("Selected hosts refused because they cannot run the pinned level."),
    conditions: z
      .array(Condition)
      .optional()
      .describe("Ready (the pool has members and a level), HostIncompatible (some selected host cannot run the level, or the hosts cannot be levelled together)."),
  })
  .describe("Members, level and health of the pool, as the controller last computed them.");
export type CpuidPoolStatus = z.infer<typeof CpuidPoolStatus>;

export interface CpuidPoolObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: z.input<typeof CpuidPoolSpec>;
  status?: CpuidPoolStatus;
}
