// Tells the policy inputs apart by content, so commands take any of them.

import { FormatError } from "./format-error.ts";
import { looksLikeXenCpuidPolicy } from "./xen-cpuid-policy.ts";

export type PolicyInputKind = "cpuid-dump" | "xen-cpuid-policy" | "xen-cpuid-featuresets";

const DUMP_BLOCK = /^(?:------\[ (?:CPUID Registers \/ )?Logical CPU #\d|CPU#\d+ AffMask: )/m;
const FEATURESETS = /^(?:nr_features: \d|Static sets:|Dynamic sets:)/m;

export function detectPolicyInput(text: string, source = "input"): PolicyInputKind {
  if (looksLikeXenCpuidPolicy(text)) return "xen-cpuid-policy";
  if (FEATURESETS.test(text)) return "xen-cpuid-featuresets";
  if (DUMP_BLOCK.test(text)) return "cpuid-dump";
  throw new FormatError(
    source,
    1,
    1,
    "unrecognised input: expected a CPUID dump (a \"------[ CPUID Registers / Logical CPU #0 ]------\" block), " +
      "`xen-cpuid -p` output (\"Host policy: N leaves, M MSRs\") or `xen-cpuid` featureset output (\"nr_features: N\")",
  );
}
