// Standard Kubernetes condition (metav1.Condition).

import { z } from "zod";

export const ConditionStatus = z.enum(["True", "False", "Unknown"]);

export const Condition = z.object({
  type: z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/).max(316),
  status: ConditionStatus,
  observedGeneration: z.number().int().nonnegative().optional(),
  lastTransitionTime: z.iso.datetime({ offset: true }),
  reason: z.string().regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/).min(1).max(1024),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof Condition>;
