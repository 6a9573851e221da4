import { describe, expect, it } from "vitest";
import { detectPolicyInput } from "../../../shared/formats/detect.ts";
import { FormatError } from "../../../shared/formats/format-error.ts";
import { cpuidDumpFixtures, xenCpuidFixture } from "../../../devenv/fixtures.ts";
import { expectFormatError } from "./expect-format-error.ts";

describe("policy input detection", () => {
  it("recognises every CPUID dump fixture", () => {
    for (const [name, text] of cpuidDumpFixtures()) expect(detectPolicyInput(text), name).toBe("cpuid-dump");
  });

  it("recognises xen-cpuid -p and xen-cpuid detail output", () => {
    for (const f of [
      "xen-cpuid-p_core-i5-12600k_alderlake.txt",
      "xen-cpuid-p_core-i7-1185g7_tigerlake_nested-in-virtualbox.txt",
      "xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt",
    ]) {
      expect(detectPolicyInput(xenCpuidFixture(f)), f).toBe("xen-cpuid-policy");
    }
    expect(detectPolicyInput(xenCpuidFixture("xen-cpuid-detail_core-i7-8750h_coffeelake.txt"))).toBe("xen-cpuid-featuresets");
  });

  it("says what was expected for anything else", () => {
    expect(() => detectPolicyInput("hello\n", "x.txt")).toThrow(FormatError);
    expect(() => detectPolicyInput("hello\n", "x.txt")).toThrow(/x\.txt:1:1: .*CPUID dump.*xen-cpuid -p.*nr_features/);
    expect(() => detectPolicyInput("hello\n")).toThrow(/^input:1:1: unrecognised input: /);
  });

  it("its error is a FormatError by name, as a log or a stack trace shows it", () => {
    const e = expectFormatError(() => detectPolicyInput("hello\n", "x.txt"));
    expect(String(e)).toMatch(/^FormatError: x\.txt:1:1: unrecognised input/);
  });
});
