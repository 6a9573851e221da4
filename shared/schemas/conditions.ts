// Standard Kubernetes condition (metav1.Condition).

import { z } from "zod";

export const ConditionStatus = z.enum(["True", "False", "Unknown"]);

export const Condition = z.object({
  type: z
    .string()
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
    .max(316)
    .describe("Type of the condition, in CamelCase (e.g. Ready)."),
  status: ConditionStatus.describe("Whether the condition holds: True, False or Unknown."),
  observedGeneration: z.number().int().nonnegative().optional().describe("metadata.generation of the object when the condition was set."),
  lastTransitionTime: z.iso.datetime({ offset: true }).describe("When the status last changed (RFC 3339)."),
  reason: z
    .string()
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
    .min(1)
    .max(1024)
    .describe("Why the condition has its status, as one CamelCase word for programs."),
  message: z.string().max(32768).describe("Why the condition has its status, in words for people."),
});
export type Condition = z.infer<typeof Condition>;
