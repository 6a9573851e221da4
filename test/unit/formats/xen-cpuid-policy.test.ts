// `xen-cpuid -p` output read and written back: the real outputs in
// fixtures/xen-cpuid come out of the writer byte for byte, domain mode is
// read, and every line out of place is an error naming it.

import { describe, expect, it } from "vitest";
import { detectPolicyInput } from "../../../shared/formats/detect.ts";
import { formatXenCpuidPolicyBlock } from "../../../shared/formats/xen-cpuid-policy-text.ts";
import { parseXenCpuidPolicy } from "../../../shared/formats/xen-cpuid-policy.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { xenCpuidFixture } from "../../../devenv/fixtures.ts";
import { expectFormatError } from "./expect-format-error.ts";

const FIXTURES = [
  "xen-cpuid-p_core-i5-12600k_alderlake.txt",
  "xen-cpuid-p_core-i7-1185g7_tigerlake_nested-in-virtualbox.txt",
  "xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt",
];

const HEADINGS: Record<string, string> = {
  raw: "Raw",
  host: "Host",
  pv_max: "PV Max",
  hvm_max: "HVM Max",
  pv_default: "PV Default",
  hvm_default: "HVM Default",
};

const parseError = (text: string) => expectFormatError(() => parseXenCpuidPolicy(text, "p.txt"));

const LEAF_0 = "  00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69";
const policyLines = (heading: string, leaves: number, msrs: number, ...body: string[]) => [
  `${heading} policy: ${leaves} leaves, ${msrs} MSRs`,
  " CPUID:",
  "  leaf     subleaf  -> eax      ebx      ecx      edx     ",
  ...body,
];

describe("xen-cpuid -p output", () => {
  it.each(FIXTURES)("%s: the writer gives back the real output, block by block", (file) => {
    const text = xenCpuidFixture(file);
    const out = parseXenCpuidPolicy(text, file);
    const [maxLine] = text.split("\n");
    expect(maxLine).toBe(`Xen reports there are maximum ${out.maxLeaves} leaves and ${out.maxMsrs} MSRs`);
    expect(out.blocks.map((b) => b.name)).toEqual(["raw", "host", "pv_max", "hvm_max", "pv_default", "hvm_default"]);
    const written = `${maxLine}\n${out.blocks.map((b) => formatXenCpuidPolicyBlock(HEADINGS[b.name], b.policy)).join("")}`;
    // the Tiger Lake output reached us with the column headers' trailing spaces stripped
    expect(text.includes(" \n") ? written : written.replace(/ +\n/g, "\n")).toBe(text);
    for (const b of out.blocks) {
      expect(`${HEADINGS[b.name]} policy: ${b.reportedLeaves} leaves, ${b.reportedMsrs} MSRs`).toBe(text.split("\n").find((l) => l.startsWith(`${HEADINGS[b.name]} policy:`)));
      expect(b.msrs.map((m) => m.flags)).toEqual(b.msrs.map(() => 0));
    }
  });

  it("reads the Alder Lake host's numbers", () => {
    const out = parseXenCpuidPolicy(xenCpuidFixture(FIXTURES[0]));
    expect([out.maxLeaves, out.maxMsrs]).toEqual([120, 2]);
    const host = out.blocks.find((b) => b.name === "host")!;
    expect([host.reportedLeaves, host.reportedMsrs, host.leaves.length, host.msrs.length]).toEqual([41, 2, 26, 2]);
    expect(host.leaves[0]).toEqual({ leaf: 0, subleaf: 0xffffffff, eax: 0xd, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 });
    expect(host.msrs).toEqual([
      { index: 0xce, flags: 0, value: 0x80000000n },
      { index: 0x10a, flags: 0, value: 0x400000001488fd6bn },
    ]);
  });

  it("reads domain mode, skips what carries no data, and keeps a policy's zero leaves", () => {
    const text = [
      "Failed to get maximum leaves and MSRs",
      ...policyLines("Domain 12", 3, 1, LEAF_0, "  00000007:00000000 -> 00000000:00000000:00000000:00000000", ""),
      " MSRs:",
      "  index    -> value           ",
      "  0000010a -> 0000000000000004",
      "HVM Max policy not supported by Xen",
      "   ",
    ].join("\n");
    const out = parseXenCpuidPolicy(text);
    expect(out.maxLeaves).toBeUndefined();
    expect(out.blocks.map((b) => [b.name, b.reportedLeaves, b.reportedMsrs, b.leaves.length, b.msrs.length])).toEqual([["domain:12", 3, 1, 2, 1]]);
    const plain = parseXenCpuidPolicy([...policyLines("Domain 12", 3, 1, LEAF_0), " MSRs:", "  0000010a -> 0000000000000004"].join("\n"));
    expect(policyHash(out.blocks[0].policy)).toBe(policyHash(plain.blocks[0].policy));
  });

  it("a domain's policy is written with its heading, and reads back the same", () => {
    const block = parseXenCpuidPolicy([...policyLines("Domain 7", 1, 0, LEAF_0), " MSRs:"].join("\n")).blocks[0];
    const text = formatXenCpuidPolicyBlock("Domain 7", block.policy);
    expect(text.split("\n").slice(1, 4)).toEqual([" CPUID:", "  leaf     subleaf  -> eax      ebx      ecx      edx     ", LEAF_0]);
    const back = parseXenCpuidPolicy(text).blocks[0];
    expect(back.name).toBe("domain:7");
    expect(policyHash(back.policy)).toBe(policyHash(block.policy));
  });
});

describe("xen-cpuid -p as pasted and detected", () => {
  const fixture = xenCpuidFixture(FIXTURES[2]);
  const hashes = (text: string) => parseXenCpuidPolicy(text).blocks.map((b) => [b.name, policyHash(b.policy)]);
  const plain = hashes(fixture);
  const lines = fixture.split("\n");

  it("the paste prefix comes from the first line with text: blank lines before it, unquoted or short blank lines inside", () => {
    expect(hashes(["   ", "", ...lines.map((l) => `    ${l}`)].join("\n"))).toEqual(plain);
    expect(hashes(["", ...lines.map((l, i) => (i % 7 === 3 ? `> ${l}\n` : `> ${l}`))].join("\n"))).toEqual(plain);
    expect(hashes(lines.map((l, i) => (i % 7 === 3 ? `    ${l}\n  ` : `    ${l}`)).join("\n"))).toEqual(plain);
    expect(hashes(lines.map((l, i) => (i % 7 === 3 ? `> ${l}\n   ` : `> ${l}`)).join("\n"))).toEqual(plain);
  });

  it("reads CRLF line endings", () => {
    expect(hashes(fixture.replaceAll("\n", "\r\n"))).toEqual(plain);
  });

  it("a line of text quoted otherwise is an error, even without a blank in it", () => {
    const quoted = lines.map((l) => `> ${l}`);
    quoted[2] = "CPUID:";
    expect(parseError(quoted.join("\n")).message).toBe('p.txt:3:1: quoted with 0 ">" where line 1 has 1: a pasted xen-cpuid -p output must be quoted alike throughout');
  });

  it("an MSRs header with trailing blanks opens the MSRs; one with anything else is no header", () => {
    expect(hashes(fixture.replaceAll(" MSRs:\n", " MSRs:   \n"))).toEqual(plain);
    expect(parseError(fixture.replace(" MSRs:\n", " MSRs: 2\n")).message).toMatch(/^p\.txt:\d+:2: unrecognised line in xen-cpuid -p output: " MSRs: 2"$/);
    expect(parseError(fixture.replace(" MSRs:\n", " Raw MSRs:\n")).message).toMatch(/^p\.txt:\d+:2: unrecognised line/);
  });

  it("is detected by a policy header at the start of a line, whatever the number of digits", () => {
    expect(detectPolicyInput("Domain 12 policy: 41 leaves, 2 MSRs\n")).toBe("xen-cpuid-policy");
    expect(detectPolicyInput("nr_features: 1\n# compare: Host policy: 41 leaves, 2 MSRs\n")).toBe("xen-cpuid-featuresets");
  });
});

describe("xen-cpuid -p errors", () => {
  const msrs = [" MSRs:", "  index    -> value           ", "  000000ce -> 0000000080000000"];

  it.each([
    ["a policy given twice", [...policyLines("Host", 1, 0, LEAF_0), ...policyLines("Host", 1, 0, LEAF_0)], 5, 1, "Host policy appears twice"],
    ["a domain given twice", [...policyLines("Domain 3", 1, 0, LEAF_0), ...policyLines("Domain 3", 1, 0, LEAF_0)], 5, 1, "Domain 3 policy appears twice"],
    ["a leaf line before any policy", ["Xen reports there are maximum 120 leaves and 2 MSRs", LEAF_0], 2, 1, "CPUID leaf line outside a policy's CPUID section"],
    ["a leaf line among the MSRs", [...policyLines("Host", 1, 1, LEAF_0), ...msrs, LEAF_0], 8, 1, "CPUID leaf line outside a policy's CPUID section"],
    ["an MSR line among the leaves", [...policyLines("Host", 1, 1, LEAF_0, "  000000ce -> 0000000080000000")], 5, 1, "MSR line outside a policy's MSRs section"],
    ["an MSR line before any policy", ["Xen reports there are maximum 120 leaves and 2 MSRs", "  000000ce -> 0000000080000000"], 2, 1, "MSR line outside a policy's MSRs section"],
    ["MSRs before any policy", ["Xen reports there are maximum 120 leaves and 2 MSRs", " MSRs:"], 2, 1, "MSRs section before any policy header"],
    ["a line of something else", [...policyLines("Host", 1, 0, LEAF_0, "  00000001:ffffffff -> 0000000d")], 5, 3, 'unrecognised line in xen-cpuid -p output: "  00000001:ffffffff -> 0000000d"'],
    ["a policy Xen would refuse, before the next block", [...policyLines("Raw", 1, 1, LEAF_0), " MSRs:", "  0000001b -> 0000000000000000", ...policyLines("Host", 1, 0, LEAF_0)], 6, 1, "raw policy: MSR 0x0000001b is not part of a CPU policy (only 0xce and 0x10a are)"],
    ["a policy Xen would refuse, at the end", [...policyLines("Host", 1, 1, LEAF_0), " MSRs:", "  0000001b -> 0000000000000000", ""], 7, 1, "host policy: MSR 0x0000001b is not part of a CPU policy (only 0xce and 0x10a are)"],
  ])("%s", (_what, lines, line, column, message) => {
    expect(parseError(lines.join("\n")).message).toBe(`p.txt:${line}:${column}: ${message}`);
  });

  it("an unrecognised line quotes its first 80 characters", () => {
    const junk = `  ${"x".repeat(100)}`;
    expect(parseError([...policyLines("Host", 1, 0, LEAF_0), junk].join("\n")).message).toBe(
      `p.txt:5:3: unrecognised line in xen-cpuid -p output: ${JSON.stringify(junk.slice(0, 80))}`,
    );
  });

  it("no policy at all, named with the default source", () => {
    const e = expectFormatError(() => parseXenCpuidPolicy("Xen reports there are maximum 120 leaves and 2 MSRs\n"));
    expect(e.message).toBe('xen-cpuid -p:1:1: no policy found (expected lines like "Host policy: 41 leaves, 2 MSRs")');
  });
});
