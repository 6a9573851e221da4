// HostPolicies of recorded real CPUs, built the way an agent with the file
// probe publishes them.

import { join } from "node:path";
import { buildHostPolicies } from "../../../agent/host-policies.ts";
import { FileProbe } from "../../../agent/probes/file.ts";
import type { HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";

export const HASWELL = join(FIXTURES_DIR, "cpuid-dumps", "intel", "haswell-ep-xeon-e5-2699v3.txt");
export const ICE_LAKE = join(FIXTURES_DIR, "cpuid-dumps", "intel", "icelake-sp-xeon-platinum-8351n.txt");
export const SAPPHIRE_RAPIDS = join(FIXTURES_DIR, "cpuid-dumps", "intel", "sapphirerapids-xeon-w7-2475x.txt");

export async function hostPoliciesFrom(hostId: string, dumpFile: string, now = new Date("2026-11-26T10:00:00Z")): Promise<HostPolicies> {
  return buildHostPolicies(hostId, await new FileProbe(dumpFile).run(), now);
}
