// "Does policy P fit host H" and "which of these hosts accept P": the audit
// against each host's guest max, plus the invariant-TSC rule that lives
// outside the policy.

import { featureByName } from "../featureset/features.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { auditPolicy, type AuditOptions } from "../audit/audit.ts";
import { describeFeature, featurePosition, type Finding } from "../audit/finding.ts";
import { hasFeature } from "../featureset/featureset.ts";
import { policyFeatureset } from "../policy/featureset-io.ts";
import { keepsInvariantTsc, TSC_TOLERANCE_PPM, type HostFacts } from "./host-facts.ts";

export interface FitOptions extends AuditOptions {
  /** TSC frequency the guest was started at, for the ITSC rule */
  tscKhz?: number;
}

export interface Fit {
  fits: boolean;
  findings: readonly Finding[];
}

const ITSC = featureByName("itsc")!;

function tscFinding(policy: CpuPolicy, facts: HostFacts | undefined, opts: FitOptions): Finding | undefined {
  if (!hasFeature(policyFeatureset(policy), ITSC)) return undefined;
  if (keepsInvariantTsc(opts.tscKhz, facts, opts.guest ?? "pv") !== false) return undefined;
  return {
    code: "tsc-incompatible",
    features: [ITSC.name],
    ...featurePosition(ITSC),
    message: `${describeFeature(ITSC)} promises a constant TSC rate, but the guest runs at ${opts.tscKhz} kHz and this host at ${facts?.tsc?.khz} kHz (more than ${TSC_TOLERANCE_PPM} ppm apart) without ${opts.guest === "hvm" ? "TSC scaling" : "a way to scale TSC for PV guests"}`,
  };
}

export function policyFits(policy: CpuPolicy, maxPolicy: CpuPolicy, opts: FitOptions & { facts?: HostFacts } = {}): Fit {
  const findings = auditPolicy(policy, maxPolicy, opts);
  const tsc = tscFinding(policy, opts.facts, opts);
  const all = tsc ? [...findings, tsc] : findings;
  return { fits: all.length === 0, findings: all };
}

export interface CandidateHost {
  host: string;
  max: CpuPolicy;
  facts?: HostFacts;
}

export interface Acceptance {
  accepting: string[];
  rejecting: { host: string; findings: readonly Finding[] }[];
}

export function acceptingHosts(policy: CpuPolicy, hosts: readonly CandidateHost[], opts: FitOptions = {}): Acceptance {
  const out: Acceptance = { accepting: [], rejecting: [] };
  for (const h of hosts) {
    const fit = policyFits(policy, h.max, { ...opts, facts: h.facts });
    if (fit.fits) out.accepting.push(h.host);
    else out.rejecting.push({ host: h.host, findings: fit.findings });
  }
  return out;
}
