// One policy as `cpuidctl policy derive/show -o json` print it and hosts
// publish it: featureset (xen-cpuid style), feature names, and the full
// serialised form (every leaf Xen would serialise, all-zero ones included,
// so the view deserialises back to the same policy).

import { featureNames, formatFeatureset } from "../featureset/featureset.ts";
import type { PolicyView } from "../schemas/policy.ts";
import { policyToJson } from "./policy-json.ts";
import type { CpuPolicy } from "./cpu-policy.ts";
import { policyFeatureset } from "./featureset-io.ts";
import { serialisePolicy } from "./serialise.ts";
import { policySignature, policyVendor } from "./vendor.ts";

export function policyView(p: CpuPolicy): PolicyView {
  const fs = policyFeatureset(p);
  return {
    featureset: formatFeatureset(fs),
    features: featureNames(fs),
    ...policyToJson(serialisePolicy(p)),
  };
}

export const POLICY_ORDER = ["raw", "host", "pv_max", "pv_default", "hvm_max", "hvm_default"] as const;
export type PolicySetName = (typeof POLICY_ORDER)[number];

export interface PolicySetView {
  /** lowercase vendor word: intel, amd, centaur, shanghai, hygon, unknown */
  vendor: string;
  /** family / model / stepping as 2-digit lowercase hex, as in Xen's "Family 6 (0x6)" */
  family: string;
  model: string;
  stepping: string;
  policies: Partial<Record<PolicySetName, PolicyView>>;
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** The document `policy derive` / `policy show` print; CPU identity from `identity` (normally the host policy). */
export function policySetView(identity: CpuPolicy, policies: Partial<Record<PolicySetName, CpuPolicy>>): PolicySetView {
  const sig = policySignature(identity);
  const out: PolicySetView = {
    vendor: policyVendor(identity),
    family: hex2(sig.family),
    model: hex2(sig.model),
    stepping: hex2(sig.stepping),
    policies: {},
  };
  for (const name of POLICY_ORDER) {
    const p = policies[name];
    if (p) out.policies[name] = policyView(p);
  }
  return out;
}
