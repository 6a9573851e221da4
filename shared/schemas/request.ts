// A requested guest policy as a person writes it (CLI --request file, JSON or
// YAML): either a feature request on top of the host's default or max policy,
// or a full serialised policy for experts.

import { z } from "zod";
import { lookupFeature, unknownFeatureMessage } from "../featureset/suggest.ts";

/** A feature name in Xen's form; "AVX512F" and "lahf_lm" are accepted and normalised. */
const RequestedFeature = z.string().transform((name, ctx) => {
  const f = lookupFeature(name);
  if (!f) {
    ctx.addIssue({ code: "custom", message: unknownFeatureMessage(name) });
    return z.NEVER;
  }
  return f.name;
});

export const FeatureRequestJson = z
  .object({
    baseline: z.enum(["default", "max"]).default("default"),
    enable: z.array(RequestedFeature).max(1024).default([]),
    disable: z.array(RequestedFeature).max(1024).default([]),
  })
  .strict()
  .superRefine((r, ctx) => {
    const both = [...new Set(r.enable.filter((f) => r.disable.includes(f)))];
    if (both.length) {
      ctx.addIssue({ code: "custom", path: ["enable"], message: `${both.join(", ")} both enabled and disabled; pick one` });
    }
  });
export type FeatureRequestJson = z.output<typeof FeatureRequestJson>;
