// The TSC frequency from raw CPUID (leaf 0x15, 0x16 as fallback), on the real
// dumps, and as the file probe publishes it.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildHostPolicies } from "../../../agent/host-policies.ts";
import { FileProbe } from "../../../agent/probes/file.ts";
import { FIXTURES_DIR, cpuidDumpFixtures } from "../../../devenv/fixtures.ts";
import { tscKhzFromCpuid } from "../../../shared/derive/tsc-frequency.ts";
import { bootCpu, cpuidQuery, parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import type { Regs } from "../../../shared/policy/cpu-policy.ts";

const dumps = new Map(cpuidDumpFixtures());
const khzOf = (file: string) => tscKhzFromCpuid(cpuidQuery(bootCpu(parseCpuidDump(dumps.get(file)!, file))));

describe("TSC frequency from CPUID", () => {
  it("leaf 0x15 with the crystal enumerated: crystal Hz × ebx / eax", () => {
    // 38.4 MHz × 166/2, 25 MHz × 240/2, 24 MHz × 216/2
    expect(khzOf("intel/alderlake-s-core-i9-12900k-hybrid.txt")).toBe(3_187_200);
    expect(khzOf("intel/graniterapids-xeon-658x.txt")).toBe(3_000_000);
    expect(khzOf("intel/sapphirerapids-xeon-w7-2475x.txt")).toBe(2_592_000);
  });

  it("leaf 0x15 without the crystal (ecx 0) and invariant TSC: leaf 0x16's base MHz", () => {
    expect(khzOf("intel/skylake-sp-xeon-platinum-8160-2s.txt")).toBe(2_100_000);
    expect(khzOf("intel/cascadelake-sp-xeon-platinum-8280.txt")).toBe(2_700_000);
    expect(khzOf("intel/icelake-sp-xeon-platinum-8351n.txt")).toBe(2_400_000);
  });

  it("nothing from parts without leaf 0x15, or with it all zero", () => {
    for (const file of ["intel/broadwell-ep-xeon-e5-2620v4.txt", "intel/haswell-ep-xeon-e5-2699v3.txt", "amd/rome-epyc-7402p.txt", "hygon/dhyana-c86-3185.txt", "centaur/zhaoxin-kh-40000.txt"]) {
      expect([file, khzOf(file)]).toEqual([file, undefined]);
    }
  });

  it("no 0x16 fallback without invariant TSC, nor without the 0x15 ratio", () => {
    const leaves = (over: Record<number, Regs>) => (leaf: number) =>
      over[leaf] ?? { 0x0: { eax: 0x16, ebx: 0, ecx: 0, edx: 0 }, 0x80000000: { eax: 0x80000008, ebx: 0, ecx: 0, edx: 0 } }[leaf];
    const base = { 0x15: { eax: 2, ebx: 168, ecx: 0, edx: 0 }, 0x16: { eax: 2100, ebx: 3700, ecx: 100, edx: 0 } };
    const invariant = { 0x80000007: { eax: 0, ebx: 0, ecx: 0, edx: 1 << 8 } };
    expect(tscKhzFromCpuid(leaves({ ...base, ...invariant }))).toBe(2_100_000);
    expect(tscKhzFromCpuid(leaves(base))).toBeUndefined();
    expect(tscKhzFromCpuid(leaves({ ...base, ...invariant, 0x15: { eax: 0, ebx: 0, ecx: 0, edx: 0 } }))).toBeUndefined();
  });

  it("the file probe publishes it beside AMD's TSC scaling bit", async () => {
    const intel = buildHostPolicies("h", await new FileProbe(join(FIXTURES_DIR, "cpuid-dumps", "intel", "skylake-sp-xeon-platinum-8160-2s.txt")).run());
    expect(intel.tsc).toEqual({ khz: 2_100_000 });
    const amd = buildHostPolicies("h", await new FileProbe(join(FIXTURES_DIR, "cpuid-dumps", "amd", "rome-epyc-7402p.txt")).run());
    expect(amd.tsc).toEqual({ scaling: true });
  });
});
