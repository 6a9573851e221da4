// Host properties that matter for migration but are not part of a CPU policy
// (same shape as HostPolicies.tsc in shared/schemas/host-policies.ts).

import type { GuestType } from "../featureset/masks.ts";

export interface HostFacts {
  tsc?: { khz?: number; scaling?: boolean };
  /** LBR format (MSR_PERF_CAPABILITIES[5:0]); Xen never puts it in a policy */
  lbrFormat?: number;
}

/**
 * Two TSC frequencies within this many parts per million are the same rate.
 * Hosts report the frequency differently: CPUID's nominal rate (exact for one
 * model) or Xen's boot calibration (a few kHz off it, differing from boot to
 * boot), so exact kHz equality would split hosts of one model. 250 ppm is
 * KVM's default tsc_tolerance_ppm, below which it runs a migrated guest
 * without scaling; NTP slews out drifts up to 500 ppm.
 */
export const TSC_TOLERANCE_PPM = 250;

/** Whether every frequency is within TSC_TOLERANCE_PPM of every other. */
export function sameTscRate(...khz: number[]): boolean {
  const max = Math.max(...khz);
  return (max - Math.min(...khz)) * 1_000_000 <= max * TSC_TOLERANCE_PPM;
}

/**
 * A guest that saw invariant TSC (ITSC) at `guestKhz` keeps it on `host` when
 * the frequencies are the same rate (sameTscRate) or the host can scale TSC (HVM only: Xen has no
 * TSC scaling for PV). undefined when a frequency is unknown.
 */
export function keepsInvariantTsc(guestKhz: number | undefined, host: HostFacts | undefined, guest: GuestType): boolean | undefined {
  const hostKhz = host?.tsc?.khz;
  if (guestKhz === undefined || hostKhz === undefined) return undefined;
  return sameTscRate(guestKhz, hostKhz) || (guest === "hvm" && host?.tsc?.scaling === true);
}
