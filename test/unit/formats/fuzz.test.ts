// Random and mutated input never makes a parser throw anything but a
// FormatError, and every FormatError points inside the input.

import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { detectPolicyInput } from "../../../shared/formats/detect.ts";
import { FormatError } from "../../../shared/formats/format-error.ts";
import { parseLibxlCpuid } from "../../../shared/formats/libxl-cpuid.ts";
import { parseXenCpuidFeaturesets } from "../../../shared/formats/xen-cpuid-featuresets.ts";
import { parseXenCpuidPolicy } from "../../../shared/formats/xen-cpuid-policy.ts";
import {
  libxlCpuidStrings,
  mutated,
  pastedXenCpuidPolicies,
  randomText,
  smallDumps as smallDumpTexts,
  xenCpuidFeaturesets,
  xenCpuidPolicies,
} from "../../../bench/support/fuzz-inputs.ts";
import { dumpThenQuery } from "../../../bench/support/fuzz-targets.ts";

const RUNS = { seed: 42, numRuns: 500 };
// 500 runs over large dumps take seconds on a loaded 2-core machine
vi.setConfig({ testTimeout: 60_000 });

function parseOrFormatError(parse: (text: string) => unknown, text: string): void {
  try {
    parse(text);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    const lines = text.split("\n").length;
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines);
    expect(e.column).toBeGreaterThanOrEqual(1);
  }
}

const smallDumps = smallDumpTexts();
const policies = xenCpuidPolicies();
const featuresets = xenCpuidFeaturesets();

const parsers: Array<[string, (text: string) => unknown, string[]]> = [
  ["CPUID dump", dumpThenQuery, smallDumps],
  ["xen-cpuid -p", parseXenCpuidPolicy, policies],
  ["pasted xen-cpuid -p", parseXenCpuidPolicy, pastedXenCpuidPolicies()],
  ["xen-cpuid detail", parseXenCpuidFeaturesets, featuresets],
  ["libxl cpuid=", parseLibxlCpuid, libxlCpuidStrings()],
  ["input detection", detectPolicyInput, [...smallDumps.slice(0, 1), ...policies, ...featuresets]],
];

describe("parsers under fuzzing", () => {
  for (const [name, parse, fixtures] of parsers) {
    it(`${name}: random text gives a result or a FormatError`, () => {
      fc.assert(
        fc.property(randomText, (text) => parseOrFormatError(parse, text)),
        RUNS,
      );
    });

    it(`${name}: mutated real input (byte flips, truncation, duplicated/deleted/swapped lines) gives a result or a FormatError`, () => {
      fc.assert(
        fc.property(mutated(fixtures), (text) => parseOrFormatError(parse, text)),
        RUNS,
      );
    });
  }
});
