// Invariant TSC (ITSC) in a pool: a guest keeps a constant TSC rate across
// migration only if every host runs at the same frequency or can scale TSC.
// Xen migrates a guest's TSC frequency in kHz and, without scaling, runs it
// at the destination's rate, so a difference is drift the guest was promised
// would not happen. Frequencies within TSC_TOLERANCE_PPM of each other count
// as one rate (host-facts.ts says why).

import type { GuestType } from "../featureset/masks.ts";
import { hostList } from "./group.ts";
import { TSC_TOLERANCE_PPM, sameTscRate, type HostFacts } from "./host-facts.ts";

interface Member {
  host: string;
  facts?: HostFacts;
}

export interface TscVerdict {
  /** hosts that take ITSC out of the level */
  losers: string[];
  warnings: string[];
}

/**
 * The TSC rule over classes of identical hosts: facts[c] is class c's, and
 * hostsOf(pred) names the hosts (in member order) of the classes where pred
 * holds. loserClasses are the classes that take ITSC out of the level.
 */
export function tscVerdict(
  facts: readonly (HostFacts | undefined)[],
  guest: GuestType | undefined,
  hostsOf: (pred: (c: number) => boolean) => string[],
): TscVerdict & { loserClasses: ReadonlySet<number> } {
  const khz = (c: number) => facts[c]?.tsc?.khz;
  const classes = facts.map((_, c) => c);
  const freqs = [...new Set(classes.map(khz).filter((k) => k !== undefined))];
  if (freqs.length === 0) {
    return {
      losers: [],
      loserClasses: new Set(),
      warnings: ["itsc kept without any TSC frequency known: it holds only if every host runs the same TSC frequency or can scale TSC"],
    };
  }
  if (sameTscRate(...freqs)) {
    const unknown = hostsOf((c) => khz(c) === undefined);
    const warnings = unknown.length ? [`itsc kept, but the TSC frequency of ${hostList(unknown)} is unknown; migrating there may change the guest's TSC rate`] : [];
    return { losers: [], loserClasses: new Set(), warnings };
  }
  const canScale = (c: number) => guest === "hvm" && facts[c]?.tsc?.scaling === true;
  const loserClasses = new Set(classes.filter((c) => !canScale(c)));
  const losers = hostsOf((c) => loserClasses.has(c));
  const text = freqs.map((k) => `${k} kHz: ${hostList(hostsOf((c) => khz(c) === k))}`).join("; ");
  const warnings = losers.length
    ? [`itsc removed: TSC frequencies differ by more than ${TSC_TOLERANCE_PPM} ppm (${text}) and ${hostList(losers)} cannot scale TSC${guest === "hvm" ? "" : " (Xen scales TSC for HVM guests only)"}`]
    : [];
  return { losers, loserClasses, warnings };
}

/** Which hosts break ITSC for the pool; guest undefined is treated as PV (no scaling). */
export function invariantTscLosers(members: readonly Member[], guest: GuestType | undefined): TscVerdict {
  const { losers, warnings } = tscVerdict(
    members.map((m) => m.facts),
    guest,
    (pred) => members.filter((_, i) => pred(i)).map((m) => m.host),
  );
  return { losers, warnings };
}
