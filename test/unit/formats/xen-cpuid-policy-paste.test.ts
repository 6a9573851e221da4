// xen-cpuid -p output as people paste it: indented, or quoted in a mail
// reply. The policy must be the same; anything mixed gets an exact error.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectPolicyInput } from "../../../shared/formats/detect.ts";
import { parseXenCpuidPolicy } from "../../../shared/formats/xen-cpuid-policy.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { xenCpuidFixture } from "../../../devenv/fixtures.ts";
import { expectFormatError } from "./expect-format-error.ts";

const FIXTURE = xenCpuidFixture("xen-cpuid-p_core-i5-12600k_alderlake.txt");
const hashes = (text: string) => parseXenCpuidPolicy(text).blocks.map((b) => [b.name, policyHash(b.policy)]);
const prefixed = (text: string, prefix: string) =>
  text
    .split("\n")
    .map((l) => (l === "" ? prefix.trimEnd() : prefix + l))
    .join("\n");

describe("pasted xen-cpuid -p output", () => {
  const plain = hashes(FIXTURE);

  it.each([
    ["indented with spaces", "    "],
    ["indented with a tab", "\t"],
    ["quoted", "> "],
    ["quoted twice", ">> "],
    ["quoted twice, spaced", "> > "],
    ["quoted and indented", ">     "],
  ])("%s: the same policies", (_what, prefix) => {
    const text = prefixed(FIXTURE, prefix);
    expect(hashes(text)).toEqual(plain);
    expect(detectPolicyInput(text)).toBe("xen-cpuid-policy");
  });

  it("a line quoted differently from the first is an error naming it", () => {
    const lines = prefixed(FIXTURE, "> ").split("\n");
    lines[5] = lines[5].slice(2);
    const e = expectFormatError(() => parseXenCpuidPolicy(lines.join("\n"), "mail.txt"));
    expect(e.message).toBe('mail.txt:6:1: quoted with 0 ">" where line 1 has 1: a pasted xen-cpuid -p output must be quoted alike throughout');
  });

  it("a line indented less than the first is an error naming it", () => {
    const lines = prefixed(FIXTURE, "      ").split("\n");
    lines[3] = lines[3].slice(4);
    const e = expectFormatError(() => parseXenCpuidPolicy(lines.join("\n"), "bug.txt"));
    expect(e.message).toBe("bug.txt:4:1: indented less than line 1: a pasted xen-cpuid -p output must be indented alike throughout");
  });

  it("errors inside a quoted paste count columns from the real start of the line", () => {
    const lines = prefixed(FIXTURE, "> ").split("\n");
    lines[4] = ">   00000000:ffffffff -> 00000020:756e6547";
    const e = expectFormatError(() => parseXenCpuidPolicy(lines.join("\n"), "mail.txt"));
    expect([e.line, e.column]).toEqual([5, 5]);
    expect(e.message).toMatch(/^mail\.txt:5:5: unrecognised line in xen-cpuid -p output/);
  });

  it("any prefix of spaces, tabs and quote markers gives the same policies (property)", () => {
    const prefix = fc.tuple(fc.stringMatching(/^[ \t]{0,3}$/), fc.array(fc.constantFrom(">", "> "), { maxLength: 3 }), fc.stringMatching(/^[ \t]{0,4}$/));
    fc.assert(
      fc.property(prefix, ([lead, quotes, indent]) => {
        expect(hashes(prefixed(FIXTURE, lead + quotes.join("") + indent))).toEqual(plain);
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});
