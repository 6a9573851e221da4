// What a probe finds out about the host, before derivation: either raw CPUID
// (which the agent derives Xen's policies from) or the policies Xen itself
// reports, plus what goes into the fingerprint.

import type { CpuPolicy } from "../../shared/policy/cpu-policy.ts";
import type { XenCpuidPolicyOutput } from "../../shared/formats/xen-cpuid-policy.ts";
import type { Fingerprint } from "../../shared/schemas/host-policies.ts";

export type ProbeFacts = Omit<Fingerprint, "digest">;

export type ProbeResult =
  | { kind: "cpuid"; raw: CpuPolicy; facts: ProbeFacts }
  | { kind: "xen"; xen: XenCpuidPolicyOutput; facts: ProbeFacts };

export interface Probe {
  run(): Promise<ProbeResult>;
}
