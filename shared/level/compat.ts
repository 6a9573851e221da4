// "Does policy P fit host H" and "which of these hosts accept P": the audit
// against each host's guest max, plus the invariant-TSC rule that lives
// outside the policy.

import { featureByName } from "../featureset/features.ts";
import type { GuestType } from "../featureset/masks.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { auditPolicy, type AuditOptions } from "../audit/audit.ts";
import { describeFeature, featurePosition, type Finding } from "../audit/finding.ts";
import { hasFeature } from "../featureset/featureset.ts";
import { policyFeatureset } from "../policy/featureset-io.ts";
import { keepsInvariantTsc, TSC_TOLERANCE_PPM, type HostFacts } from "./host-facts.ts";

/** One end of a move: the host (named in findings when known) and its facts. */
export interface MoveEnd {
  host?: string;
  facts?: HostFacts;
}

export interface TscCheck {
  /** the destination breaks the constant TSC rate itsc promises */
  finding?: Finding;
  /** itsc is on but a TSC frequency is unknown: not refused, as pool admission does not refuse it */
  warning?: string;
}

const ITSC = featureByName("itsc")!;

export const promisesInvariantTsc = (policy: CpuPolicy): boolean => hasFeature(policyFeatureset(policy), ITSC);

/** invariantTscCheck's decision without its words: whether `to` breaks the constant TSC rate a guest from `from` with itsc was promised. */
export const breaksInvariantTsc = (from: MoveEnd, to: MoveEnd, guest: GuestType): boolean => keepsInvariantTsc(from.facts?.tsc?.khz, to.facts, guest) === false;

const named = (end: MoveEnd, fallback: string) => (end.host === undefined ? fallback : `host ${end.host}`);

/**
 * The invariant-TSC rule for a move from `from` to `to`. A guest keeps the TSC
 * rate of the host it runs on: Xen carries the rate in the migration stream
 * (TSC_INFO), not in the policy. With itsc on, the destination must run at
 * that rate (sameTscRate) or, for HVM, scale TSC (keepsInvariantTsc, the rule
 * pools level and admit by). `from` may also be a bare rate (a pool level's).
 * An unknown frequency decides nothing, as in a pool: a warning, no finding.
 */
export function invariantTscCheck(policy: CpuPolicy, from: MoveEnd, to: MoveEnd, guest: GuestType): TscCheck {
  if (!promisesInvariantTsc(policy)) return {};
  const guestKhz = from.facts?.tsc?.khz;
  const hostKhz = to.facts?.tsc?.khz;
  if (guestKhz === undefined || hostKhz === undefined) {
    const unknown = [...(guestKhz === undefined ? [named(from, "the guest's host")] : []), ...(hostKhz === undefined ? [named(to, "this host")] : [])];
    return {
      warning: `${describeFeature(ITSC)} promises a constant TSC rate, but the TSC frequency of ${unknown.join(" and ")} is unknown: not refused (pools admit such hosts too), though the guest's TSC rate may change`,
    };
  }
  if (!breaksInvariantTsc(from, to, guest)) return {};
  return {
    finding: {
      code: "tsc-incompatible",
      features: [ITSC.name],
      ...featurePosition(ITSC),
      message: `${describeFeature(ITSC)} promises a constant TSC rate, but the guest runs at ${guestKhz} kHz${from.host === undefined ? "" : ` on host ${from.host}`} and ${named(to, "this host")} at ${hostKhz} kHz (more than ${TSC_TOLERANCE_PPM} ppm apart) without ${guest === "hvm" ? "TSC scaling" : "a way to scale TSC for PV guests"}`,
    },
  };
}

export interface FitOptions extends AuditOptions {
  /** where the guest comes from, for the ITSC rule: the host it runs on, or a rate it may have started at */
  from?: MoveEnd;
  /** the host whose guest max is checked */
  to?: MoveEnd;
}

export interface Fit {
  fits: boolean;
  findings: readonly Finding[];
  /** worth knowing, but no reason to refuse (an unknown TSC frequency) */
  warnings: readonly string[];
}

export function policyFits(policy: CpuPolicy, maxPolicy: CpuPolicy, opts: FitOptions = {}): Fit {
  const findings = auditPolicy(policy, maxPolicy, opts);
  const tsc = invariantTscCheck(policy, opts.from ?? {}, opts.to ?? {}, opts.guest ?? "pv");
  const all = tsc.finding ? [...findings, tsc.finding] : findings;
  return { fits: all.length === 0, findings: all, warnings: tsc.warning ? [tsc.warning] : [] };
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
    const fit = policyFits(policy, h.max, { ...opts, to: { host: h.host, facts: h.facts } });
    if (fit.fits) out.accepting.push(h.host);
    else out.rejecting.push({ host: h.host, findings: fit.findings });
  }
  return out;
}
