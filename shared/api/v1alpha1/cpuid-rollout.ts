// CpuidRollout (cpuidfleet.io/v1alpha1, cluster-scoped, short name crollout):
// turning features on or off across many DomainCpuidPolicies in waves. A
// rollout never writes a DomainCpuidPolicy's spec: it is a layer the
// controller adds to the spec of each policy its waves have reached
// (shared/rollout/). crds/ is generated from these schemas (crds.ts).

import type { V1ObjectMeta } from "@kubernetes/client-node";
import { z } from "zod";
import { LabelSelector } from "../../labels/label-selector.ts";
import { Condition } from "../../schemas/conditions.ts";
import { FeatureName } from "./domain-cpuid-policy.ts";

/** A new value (any: `cpuidctl rollout resume` writes a timestamp) resumes a halted rollout, accepting the failures so far. */
export const RESUME_ANNOTATION = "cpuidfleet.io/resume";

export const CPUID_ROLLOUT_DESCRIPTION =
  "A staged change of CPUID features across DomainCpuidPolicies: the policies its targets select are split into waves; each wave gets the change (as a layer over its spec, never by editing it) once the previous one has settled, and the rollout halts when failures reach maxFailures.";

/** A duration as Kubernetes tools write it: 30s, 5m, 1h, 1m30s, 500ms. */
export const Duration = z
  .string()
  .regex(/^(\d+(ms|s|m|h))+$/, "a duration such as 30s, 5m, 1h or 1m30s")
  .describe("A duration: digits and a unit (ms, s, m, h), possibly several, e.g. 30s, 5m, 1m30s.");

export const MaxFailures = z
  .union([z.number().int().min(0), z.string().regex(/^\d{1,3}%$/, "a count, or a percentage such as 10%")])
  .describe("How many policies may fail before the rollout halts: a count, or a percentage of the planned policies (rounded down), like a Deployment's maxUnavailable. 0 halts at the first failure.");

export const RolloutStrategy = z
  .object({
    batchSize: z.number().int().min(1).optional().describe("Policies per wave (the last wave takes the rest). Give batchSize or waves; neither means one wave."),
    waves: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(100)
      .optional()
      .describe("Cumulative percentages of the planned policies reached at the end of each wave, increasing and ending at 100, e.g. [1, 10, 50, 100]."),
    pause: Duration.default("0s").describe("Wait between a wave settling and the next one starting."),
    maxFailures: MaxFailures.default(0),
    waveTimeout: Duration.default("10m").describe("A policy of a wave that has not settled this long after the wave started counts as failed."),
  })
  .describe("How the planned policies are split into waves and when the rollout halts.");
export type RolloutStrategy = z.infer<typeof RolloutStrategy>;

export const RolloutTargets = z
  .object({
    namespaceSelector: LabelSelector.optional().describe("Namespaces whose DomainCpuidPolicies are candidates, by their labels; absent means every namespace."),
    selector: LabelSelector.optional().describe("DomainCpuidPolicies that are candidates, by their labels; absent means every one."),
    pool: z.string().min(1).max(253).optional().describe("Only policies whose spec.host is a member of this CpuidPool."),
  })
  .describe("Which DomainCpuidPolicies the rollout changes: those meeting every given criterion when the rollout is planned.");

export const CpuidRolloutSpec = z
  .object({
    enable: z.array(FeatureName).max(287).default([]).describe("Features to turn on in every targeted policy, by Xen's name."),
    disable: z.array(FeatureName).max(287).default([]).describe("Features to turn off (with everything that depends on them), by Xen's name."),
    targets: RolloutTargets.default({}),
    strategy: RolloutStrategy.default({ pause: "0s", maxFailures: 0, waveTimeout: "10m" }),
    paused: z.boolean().default(false).describe("Start no new wave (the one in progress still settles)."),
    rollback: z.boolean().default(false).describe("Remove the change again, wave by wave in reverse, until every policy is back to its spec alone."),
  })
  .superRefine((s, ctx) => {
    if (s.enable.length === 0 && s.disable.length === 0) ctx.addIssue({ code: "custom", path: ["enable"], message: "give at least one feature to enable or disable" });
    const both = s.enable.filter((f) => s.disable.includes(f));
    if (both.length) ctx.addIssue({ code: "custom", path: ["enable"], message: `features both enabled and disabled: ${both.join(", ")}` });
    if (s.strategy.batchSize !== undefined && s.strategy.waves !== undefined) ctx.addIssue({ code: "custom", path: ["strategy"], message: "give batchSize or waves, not both" });
    const waves = s.strategy.waves ?? [];
    if (waves.some((w, i) => i > 0 && w <= waves[i - 1])) ctx.addIssue({ code: "custom", path: ["strategy", "waves"], message: "wave percentages must increase" });
    if (waves.length && waves[waves.length - 1] !== 100) ctx.addIssue({ code: "custom", path: ["strategy", "waves"], message: "the last wave must reach 100 (%)" });
  })
  .describe("What the rollout changes, in which policies, and how fast.");
export type CpuidRolloutSpec = z.output<typeof CpuidRolloutSpec>;

export const WavePhase = z.enum(["Pending", "Progressing", "Settled", "RollingBack", "RolledBack"]);

export const RolloutWave = z
  .object({
    policies: z.array(z.string()).describe("The DomainCpuidPolicies (namespace/name) of the wave, fixed when the rollout was planned."),
    phase: WavePhase.describe("Pending (not started), Progressing (the change is on its policies, not all settled), Settled, RollingBack, RolledBack."),
    startedAt: z.string().optional().describe("When the wave started (RFC 3339)."),
    settledAt: z.string().optional().describe("When every policy of the wave had settled (RFC 3339)."),
  })
  .describe("One wave of the plan.");
export type RolloutWave = z.infer<typeof RolloutWave>;

export const RolloutCounts = z
  .object({
    applied: z.number().int().min(0).describe("Policies with the change applied to a domain not yet running (Applied, Active)."),
    staged: z.number().int().min(0).describe("Policies with the change staged for a running domain (it takes effect at its next start); counts as done."),
    failed: z.number().int().min(0).describe("Policies whose audit failed, whose host's agent refused, or that did not settle within waveTimeout."),
    progressing: z.number().int().min(0).describe("Policies of started waves that have not settled yet."),
    pending: z.number().int().min(0).describe("Policies of waves not started yet."),
    deleted: z.number().int().min(0).describe("Planned policies deleted since."),
  })
  .describe("Where the planned policies are.");
export type RolloutCounts = z.infer<typeof RolloutCounts>;

export const CpuidRolloutStatus = z
  .object({
    observedGeneration: z.number().int().nonnegative().optional().describe("metadata.generation of the rollout this status describes."),
    plannedAt: z.string().optional().describe("When the plan was made (RFC 3339)."),
    waves: z.array(RolloutWave).optional().describe("The plan: every targeted policy, wave by wave, fixed when the rollout started."),
    currentWave: z.number().int().min(0).optional().describe("Index of the wave in progress (or last reached); during a rollback, the wave being rolled back."),
    waveCount: z.number().int().min(0).optional().describe("How many waves the plan has."),
    counts: RolloutCounts.optional(),
    change: z
      .object({
        enable: z.array(z.string()).describe("Features the rollout turns on, as planned."),
        disable: z.array(z.string()).describe("Features the rollout turns off, as planned."),
      })
      .optional()
      .describe("The change as planned (spec.enable and spec.disable then): what reached policies get, even if the spec is edited later."),
    takenAlong: z.array(z.string()).optional().describe("Features that go off with the disabled ones because they depend on them."),
    acknowledgedFailures: z.number().int().min(0).optional().describe("Failures an operator accepted with `cpuidctl rollout resume`; only later failures count against maxFailures."),
    lastResume: z.string().optional().describe("The resume request (cpuidfleet.io/resume annotation) last honoured."),
    conditions: z.array(Condition).optional().describe("Progressing, Halted, Complete and RolledBack."),
  })
  .describe("The rollout's plan and progress, as the controller last recorded them.");
export type CpuidRolloutStatus = z.infer<typeof CpuidRolloutStatus>;

export interface CpuidRolloutObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  /** validated by the reader (CpuidRolloutSpec): the CRD installed may be older than the code */
  spec: unknown;
  status?: CpuidRolloutStatus;
}
