// metav1.LabelSelector: its schema and the matching rule (every matchLabels
// pair and every matchExpressions requirement must hold; an empty selector
// matches everything). Pure.

import { z } from "zod";

export const SelectorOperator = z.enum(["In", "NotIn", "Exists", "DoesNotExist"]);

export const LabelSelectorRequirement = z
  .object({
    key: z.string().min(1).describe("Label key the requirement is about."),
    operator: SelectorOperator.describe("In, NotIn (values must be non-empty), Exists or DoesNotExist (values must be empty)."),
    values: z.array(z.string()).optional().describe("Values for In and NotIn."),
  })
  .refine((r) => ((r.operator === "In" || r.operator === "NotIn") ? (r.values?.length ?? 0) > 0 : (r.values?.length ?? 0) === 0), {
    message: "In and NotIn need values; Exists and DoesNotExist take none",
    path: ["values"],
  })
  .describe("One label requirement: a key, an operator and values.");

export const LabelSelector = z.object({
  matchLabels: z.record(z.string(), z.string()).optional().describe("Labels the host must carry with exactly these values."),
  matchExpressions: z.array(LabelSelectorRequirement).optional().describe("Requirements every one of which the host's labels must meet."),
});
export type LabelSelector = z.infer<typeof LabelSelector>;
type Requirement = z.infer<typeof LabelSelectorRequirement>;

function requirementHolds(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case "In":
      return has && (r.values ?? []).includes(labels[r.key]);
    case "NotIn":
      return !has || !(r.values ?? []).includes(labels[r.key]);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (l[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((r) => requirementHolds(r, l));
}
