// Random and mutated input never makes a parser throw anything but a
// FormatError, and every FormatError points inside the input.

import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { bootCpu, cpuidQuery, parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import { detectPolicyInput } from "../../../shared/formats/detect.ts";
import { FormatError } from "../../../shared/formats/format-error.ts";
import { formatLibxlCpuid, formatXendCpuid, parseLibxlCpuid } from "../../../shared/formats/libxl-cpuid.ts";
import { parseXenCpuidFeaturesets } from "../../../shared/formats/xen-cpuid-featuresets.ts";
import { parseXenCpuidPolicy } from "../../../shared/formats/xen-cpuid-policy.ts";
import { FEATURES } from "../../../shared/featureset/features.ts";
import { cpuidDumpFixtures, xenCpuidFixture } from "../../support/fixtures.ts";

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

type Mutation = (lines: string[]) => void;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 127 })).map(([l, c, ch]): Mutation => (lines) => {
    const i = l % lines.length;
    const line = lines[i];
    const at = line.length === 0 ? 0 : c % line.length;
    lines[i] = line.slice(0, at) + String.fromCharCode(ch) + line.slice(at + 1);
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([l, c]): Mutation => (lines) => {
    const i = l % lines.length;
    lines[i] = lines[i].slice(0, c % (lines[i].length + 1));
  }),
  fc.nat().map((l): Mutation => (lines) => {
    const i = l % lines.length;
    lines.splice(i, 0, lines[i]);
  }),
  fc.nat().map((l): Mutation => (lines) => {
    if (lines.length > 1) lines.splice(l % lines.length, 1);
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]): Mutation => (lines) => {
    const i = a % lines.length;
    const j = b % lines.length;
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }),
  fc.nat().map((l): Mutation => (lines) => {
    lines.length = Math.max(1, l % lines.length);
  }),
);

/** Texts made from a fixture by 1–4 mutations. */
function mutated(texts: string[]): fc.Arbitrary<string> {
  const split = texts.map((t) => t.split("\n"));
  return fc.tuple(fc.nat({ max: split.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([k, ms]) => {
    const lines = [...split[k]];
    for (const m of ms) m(lines);
    return lines.join("\n");
  });
}

const randomText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.array(fc.constantFrom("CPUID ", "0000000", "1:", ": ", "-", "[SL 0", "]", "------[ Logical CPU #", " ]------", "\n", "MSR ", "< FAILED >", "0", "F", " "), { maxLength: 80 }).map((p) => p.join("")),
);

const smallDumps = cpuidDumpFixtures()
  .filter(([name]) => ["shanghai", "dhyana", "cascadelake", "naples", "alderlake"].some((n) => name.includes(n)))
  .map(([, text]) => text);
const policies = [
  "xen-cpuid-p_core-i5-12600k_alderlake.txt",
  "xen-cpuid-p_core-i7-1185g7_tigerlake_nested-in-virtualbox.txt",
  "xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt",
].map(xenCpuidFixture);
/** the same outputs as pasted into a mail reply or a bug report */
const pastedPolicies = policies.flatMap((t) => [t.replace(/^/gm, "> "), t.replace(/^/gm, "    ")]);
const featuresets = [xenCpuidFixture("xen-cpuid-detail_core-i7-8750h_coffeelake.txt")];
const libxlStrings = [
  formatLibxlCpuid({ enable: FEATURES.slice(0, 40), disable: FEATURES.slice(200, 230) }),
  formatXendCpuid({ enable: FEATURES.slice(0, 60).filter((f) => f.source.kind === "cpuid"), disable: FEATURES.slice(100, 140).filter((f) => f.source.kind === "cpuid") }),
  "host,family=0x19,model=1,stepping=2,clflush=8,maxleaf=0xd,sse4.1=k,psn=s,tsc_adjust=x",
  `["0x7,0:ebx=${"x".repeat(31)}0,ecx=${"k".repeat(32)}",\n "1:edx=${"1".repeat(32)}"]`,
];

function dumpThenQuery(text: string) {
  const dump = parseCpuidDump(text);
  const q = cpuidQuery(bootCpu(dump));
  q(0, 0);
  q(7, 1);
}

const parsers: Array<[string, (text: string) => unknown, string[]]> = [
  ["CPUID dump", dumpThenQuery, smallDumps],
  ["xen-cpuid -p", parseXenCpuidPolicy, policies],
  ["pasted xen-cpuid -p", parseXenCpuidPolicy, pastedPolicies],
  ["xen-cpuid detail", parseXenCpuidFeaturesets, featuresets],
  ["libxl cpuid=", parseLibxlCpuid, libxlStrings],
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
