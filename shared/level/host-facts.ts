// Host properties that matter for migration but are not part of a CPU policy
// (same shape as HostPolicies.tsc in shared/schemas/host-policies.ts).

import type { GuestType } from "../featureset/masks.ts";

export interface HostFacts {
  tsc?: { khz?: number; scaling?: boolean };
  /** LBR format (MSR_PERF_CAPABILITIES[5:0]); Xen never puts it in a policy */
  lbrFormat?: number;
}

/**
 * A guest that saw invariant TSC (ITSC) at `guestKhz` keeps it on `host` when
 * the frequencies are equal or the host can scale TSC (HVM only: Xen has no
 * TSC scaling for PV). undefined when a frequency is unknown.
 */
export function keepsInvariantTsc(guestKhz: number | undefined, host: HostFacts | undefined, guest: GuestType): boolean | undefined {
  const hostKhz = host?.tsc?.khz;
  if (guestKhz === undefined || hostKhz === undefined) return undefined;
  return guestKhz === hostKhz || (guest === "hvm" && host?.tsc?.scaling === true);
}
