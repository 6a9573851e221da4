// The demo's six simulated Xen hosts: each runs a real agent on the CPU
// profile of a real processor (examples/profiles/, derived from the dumps in
// the shared fixtures) with the sim backend, and holds a few domains.

import { join } from "node:path";
import type { GuestType } from "../../shared/schemas/guest.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";

export const PROFILES_DIR = join(REPO_ROOT, "examples", "profiles");
export const EXAMPLES_DIR = join(REPO_ROOT, "examples");
export const POOLS_DIR = join(EXAMPLES_DIR, "pools");
export const ROLLOUTS_DIR = join(EXAMPLES_DIR, "rollouts");

export interface DemoDomain {
  name: string;
  guestType: GuestType;
  /** running: unpaused, its CPU policy is fixed; created: paused before its first unpause */
  state: "running" | "created";
}

export interface DemoHost {
  id: string;
  cpu: string;
  /** the full dump in ../shared/fixtures/cpuid-dumps the profile was cut from */
  sourceDump: string;
  /** its origin in the InstLatX64 collection (github.com/InstLatx64/InstLatx64) */
  upstreamFile: string;
  domains: readonly DemoDomain[];
}

const hvm = (name: string, state: DemoDomain["state"]): DemoDomain => ({ name, guestType: "hvm", state });

export const DEMO_HOSTS: readonly DemoHost[] = [
  {
    id: "host-haswell",
    cpu: "Intel Xeon E5-2699 v3 (Haswell-EP)",
    sourceDump: "intel/haswell-ep-xeon-e5-2699v3.txt",
    upstreamFile: "GenuineIntel/GenuineIntel00306F2_HaswellEP_04_CPUID.txt",
    domains: [hvm("web-1", "running"), hvm("db-1", "created"), hvm("analytics-1", "created")],
  },
  {
    id: "host-skylake",
    cpu: "Intel Xeon Platinum 8160 (Skylake-SP)",
    sourceDump: "intel/skylake-sp-xeon-platinum-8160-2s.txt",
    upstreamFile: "GenuineIntel/GenuineIntel0050654_SkylakeXeon_20_CPUID.txt",
    domains: [hvm("app-1", "created"), hvm("app-2", "running")],
  },
  {
    id: "host-icelake",
    cpu: "Intel Xeon Platinum 8351N (Ice Lake-SP)",
    sourceDump: "intel/icelake-sp-xeon-platinum-8351n.txt",
    upstreamFile: "GenuineIntel/GenuineIntel00606A6_ICX_CPUID3.txt",
    domains: [hvm("ci-1", "created"), hvm("ci-2", "running")],
  },
  {
    id: "host-sapphirerapids",
    cpu: "Intel Xeon w7-2475X (Sapphire Rapids)",
    sourceDump: "intel/sapphirerapids-xeon-w7-2475x.txt",
    upstreamFile: "GenuineIntel/GenuineIntel00806F8_SapphireRapids_05_CPUID.txt",
    domains: [hvm("ml-1", "created"), { name: "pv-1", guestType: "pv", state: "running" }],
  },
  {
    id: "host-rome",
    cpu: "AMD EPYC 7402P (Rome, Zen 2)",
    sourceDump: "amd/rome-epyc-7402p.txt",
    upstreamFile: "AuthenticAMD/AuthenticAMD0830F10_K17_Rome_CPUID2.txt",
    domains: [hvm("web-2", "running"), hvm("cache-1", "created")],
  },
  {
    id: "host-genoa",
    cpu: "AMD EPYC 9124 (Genoa, Zen 4)",
    sourceDump: "amd/genoa-epyc-9124.txt",
    upstreamFile: "AuthenticAMD/AuthenticAMD0A10F11_K19_Genoa_02_CPUID.txt",
    domains: [hvm("db-2", "created"), hvm("web-3", "running")],
  },
];

export function profilePath(hostId: string): string {
  return join(PROFILES_DIR, `${hostId}.txt`);
}

export function profileProvenance(host: DemoHost): string {
  return `InstLatX64 collection (github.com/InstLatx64/InstLatx64) ${host.upstreamFile}, as ../shared/fixtures/cpuid-dumps/${host.sourceDump} (${host.cpu})`;
}
