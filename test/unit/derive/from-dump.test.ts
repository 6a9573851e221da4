// What a CPUID dump's MSR section tells the derivation: the microcode revision
// (Intel: IA32_BIOS_SIGN_ID bits 63:32, AMD: PATCH_LEVEL bits 31:0) and
// MISC_ENABLE.FAST_STRING.

import { describe, expect, it } from "vitest";
import { deriveFromCpuidDump } from "../../../shared/derive/from-dump.ts";
import type { DeriveOptions } from "../../../shared/derive/options.ts";
import { featureNames } from "../../../shared/featureset/featureset.ts";
import { parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import type { CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { cpuidDumpFixtures } from "../../../devenv/fixtures.ts";

const DUMPS = new Map(cpuidDumpFixtures());
const derive = (name: string, text = DUMPS.get(name)!, options: DeriveOptions = {}) =>
  deriveFromCpuidDump(parseCpuidDump(text, name), options);
const has = (p: CpuPolicy, feature: string) => featureNames(policyFeatureset(p)).includes(feature);

describe("microcode revision", () => {
  const BROADWELL_EP = "intel/broadwell-ep-xeon-e5-2620v4.txt";

  it("Intel, bits 63:32: Broadwell-EP's 0x0b000038 is retpoline-safe (from 0x0b000021), no RSBA synthesised", () => {
    expect(DUMPS.get(BROADWELL_EP)).toContain("MSR 0000008B: 0B00-0038-0000-0000");
    expect(has(derive(BROADWELL_EP).host, "rsba")).toBe(false);
  });

  it("Intel: the same CPU with microcode 0x0b000020 gets RSBA", () => {
    const older = DUMPS.get(BROADWELL_EP)!.replaceAll("MSR 0000008B: 0B00-0038-0000-0000", "MSR 0000008B: 0B00-0020-0000-0000");
    expect(has(derive(BROADWELL_EP, older).host, "rsba")).toBe(true);
  });

  it("AMD, bits 31:0: Genoa's 0x0a101111 predates the TSA fix (0x0a10114c), Bergamo's 0x0aa0021c does not", () => {
    expect(has(derive("amd/genoa-epyc-9124.txt").host, "verw-clear")).toBe(false);
    expect(has(derive("amd/bergamo-epyc-9754.txt").host, "verw-clear")).toBe(true);
  });

  it("an explicit microcodeRevision wins over the dump's", () => {
    const genoa = derive("amd/genoa-epyc-9124.txt", undefined, { microcodeRevision: 0x0a10114c });
    expect(has(genoa.host, "verw-clear")).toBe(true);
  });
});

describe("MISC_ENABLE.FAST_STRING", () => {
  it("Granite Rapids boots with it clear: Xen drops ERMS; Ice Lake's is set", () => {
    expect(has(derive("intel/graniterapids-xeon-658x.txt").raw, "erms")).toBe(true);
    expect(has(derive("intel/graniterapids-xeon-658x.txt").host, "erms")).toBe(false);
    expect(has(derive("intel/icelake-sp-xeon-platinum-8351n.txt").host, "erms")).toBe(true);
  });

  it("an explicit fastStrings wins over the dump's", () => {
    expect(has(derive("intel/graniterapids-xeon-658x.txt", undefined, { fastStrings: true }).host, "erms")).toBe(true);
  });

  it("a dump without the MSR counts as set", () => {
    const text = DUMPS.get("intel/cascadelake-sp-xeon-platinum-8280.txt")!;
    expect(text).not.toContain("MSR 000001A0");
    expect(has(derive("intel/cascadelake-sp-xeon-platinum-8280.txt").host, "erms")).toBe(true);
  });
});
