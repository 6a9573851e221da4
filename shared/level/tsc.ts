// Invariant TSC (ITSC) in a pool: a guest keeps a constant TSC rate across
// migration only if every host runs at the same frequency or can scale TSC.

import type { GuestType } from "../featureset/masks.ts";
import { groupBy, hostList } from "./group.ts";
import type { HostFacts } from "./host-facts.ts";

interface Member {
  host: string;
  facts?: HostFacts;
}

export interface TscVerdict {
  /** hosts that take ITSC out of the level */
  losers: string[];
  warnings: string[];
}

/** Which hosts break ITSC for the pool; guest undefined is treated as PV (no scaling). */
export function invariantTscLosers(members: readonly Member[], guest: GuestType | undefined): TscVerdict {
  if (!members.some((m) => m.facts?.tsc?.khz !== undefined)) {
    return { losers: [], warnings: ["itsc kept without any TSC frequency known: it holds only if every host runs the same TSC frequency or can scale TSC"] };
  }
  const byKhz = groupBy(members, (m) => m.facts?.tsc?.khz);
  const unknown = members.filter((m) => m.facts?.tsc?.khz === undefined).map((m) => m.host);
  if (byKhz.size === 1) {
    const warnings = unknown.length ? [`itsc kept, but the TSC frequency of ${hostList(unknown)} is unknown; migrating there may change the guest's TSC rate`] : [];
    return { losers: [], warnings };
  }
  const canScale = (m: Member) => guest === "hvm" && m.facts?.tsc?.scaling === true;
  const losers = members.filter((m) => !canScale(m)).map((m) => m.host);
  const freqs = [...byKhz].map(([khz, ms]) => `${khz} kHz: ${hostList(ms.map((m) => m.host))}`).join("; ");
  const warnings = losers.length
    ? [`itsc removed: TSC frequencies differ (${freqs}) and ${hostList(losers)} cannot scale TSC${guest === "hvm" ? "" : " (Xen scales TSC for HVM guests only)"}`]
    : [];
  return { losers, warnings };
}
