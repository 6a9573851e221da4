import { describe, expect, it } from "vitest";
import { FEATURES } from "../../../shared/featureset/features.ts";
import { featureNames, formatFeatureset, isSubset, parseFeatureset } from "../../../shared/featureset/featureset.ts";
import { KNOWN_FEATURES } from "../../../shared/featureset/masks.ts";
import { parseXenCpuidFeaturesets } from "../../../shared/formats/xen-cpuid-featuresets.ts";
import { bitOfName, decodeNames } from "../../../shared/formats/xen-feature-names.ts";
import { xenCpuidFixture } from "../../../devenv/fixtures.ts";
import { expectFormatError } from "./expect-format-error.ts";

const DETAIL = xenCpuidFixture("xen-cpuid-detail_core-i7-8750h_coffeelake.txt");
const detail = parseXenCpuidFeaturesets(DETAIL, "detail.txt");

const parseError = (text: string) => expectFormatError(() => parseXenCpuidFeaturesets(text, "t.txt"));

/** The detail fixture with one line replaced. */
function withLine(lineNo: number, edit: (line: string) => string): string {
  const lines = DETAIL.split("\n");
  lines[lineNo - 1] = edit(lines[lineNo - 1]);
  return lines.join("\n");
}

describe("xen-cpuid detail featuresets (Coffee Lake fixture)", () => {
  it("reads nr_features and every static and dynamic set by its normalised name", () => {
    expect(detail.nrFeatures).toBe(18);
    expect([...detail.staticSets.keys()]).toEqual([
      "Known",
      "Special",
      "PV Max",
      "PV Default",
      "HVM Shadow Max",
      "HVM Shadow Default",
      "HVM Hap Max",
      "HVM Hap Default",
    ]);
    expect([...detail.dynamicSets.keys()]).toEqual(["Raw", "Host", "PV Default", "HVM Default", "PV Max", "HVM Max"]);
    expect(detail.unsupported).toEqual([]);
  });

  it("zero-extends the 18 words to 19", () => {
    const host = detail.dynamicSets.get("Host")!;
    expect(host.length).toBe(19);
    expect(host[18]).toBe(0);
    expect(formatFeatureset(host).slice(0, 36)).toBe("bfebfbff:77faf3bf:2c100800:00000121:");
  });

  it("agrees with the data: HLE/RTM/MPX in HVM Max but not HVM Default, Known within today's Known", () => {
    const max = featureNames(detail.dynamicSets.get("HVM Max")!);
    const def = featureNames(detail.dynamicSets.get("HVM Default")!);
    for (const f of ["hle", "rtm", "mpx"]) {
      expect(max).toContain(f);
      expect(def).not.toContain(f);
    }
    expect(isSubset(detail.staticSets.get("Known")!, KNOWN_FEATURES)).toBe(true);
  });

  it("a word that disagrees with its name line is an error naming that line", () => {
    // line 177 is Host; flip sse3 (word 1 bit 0) in the value
    const e = parseError(withLine(177, (l) => l.replace("77faf3bf", "77faf3be")));
    expect(e.line).toBe(179);
    expect(e.message).toContain('"sse3"');
  });

  it("a set bit that is not named is an error", () => {
    const e = parseError(withLine(179, (l) => l.replace(" sse3", "")));
    expect(e.line).toBe(179);
    expect(e.message).toMatch(/bit\(s\) 0 are not named/);
  });

  it("an unknown name, a misplaced name and a wrong label are errors at their column", () => {
    expect(parseError(withLine(179, (l) => l.replace("pclmulqdq", "bogus")))).toMatchObject({ line: 179, column: 38 });
    expect(parseError(withLine(179, (l) => l.replace("pclmulqdq", "fpu"))).message).toContain("not a feature name of word 1");
    expect(parseError(withLine(179, (l) => l.replace("0x00000001.ecx", "0x00000001.edx")))).toMatchObject({ line: 179, column: 8 });
  });

  it("decode lines out of order are errors", () => {
    expect(parseError(withLine(179, (l) => l.replace("[01]", "[02]"))).message).toContain("expected decode line [01]");
  });
});

describe("xen-cpuid info form and older Xen", () => {
  const info = [
    "nr_features: 10",
    "       KEY                      1d       1c       e1d      e1c      Da1      7b0      7c0      e7d      e8b      7d0      ",
    "",
    "Static sets:",
    "Known             bfebfbff:fffef3ff:ee500800:2469bfff:0000000f:ffbfffff:3a405fdf:00000780:779fd205:fc91ef1c",
    "",
    "Dynamic sets:",
    "Raw               bfebfbff:7ffafbbf:2c100800:00000121:0000000f:029c67af:40000000:00000100:00000000:bc002e00",
    "PV                1fc9cbf5:f6f83203:28100800:00000121:00000007:008c0329:00000000:00000000:00001000:ac000400",
    "HVM featureset not supported by Xen",
    "",
  ].join("\n");

  it("reads the info form (KEY header, no decode lines, 10 words, 4.14-era set names)", () => {
    const r = parseXenCpuidFeaturesets(info);
    expect(r.nrFeatures).toBe(10);
    expect(formatFeatureset(r.dynamicSets.get("PV")!)).toBe(
      "1fc9cbf5:f6f83203:28100800:00000121:00000007:008c0329:00000000:00000000:00001000:ac000400:" + "00000000:".repeat(8) + "00000000",
    );
    expect(r.unsupported).toEqual(["HVM"]);
  });

  it("accepts 4.14-era labels, '???' words and <n> for unnamed bits", () => {
    const text = [
      "nr_features: 2",
      "",
      "Static sets:",
      "Known             80000001:00000000",
      "  [00] 0x00000001.edx     fpu pbe",
      "  [01] 0x00000001.ecx    ",
      "Dynamic sets:",
      "Raw               00100000:00000000",
      "  [00] 0x00000001.edx     <20>",
      "  [01] 0x00000001.ecx     ???",
    ].join("\n");
    const r = parseXenCpuidFeaturesets(text);
    expect(r.staticSets.get("Known")![0]).toBe(0x80000001);
    expect(r.dynamicSets.get("Raw")![0]).toBe(0x00100000);
  });

  it("accepts generated (4.19+) names as well as the old ones", () => {
    const line = (names: string) =>
      ["nr_features: 2", "Static sets:", "Known             00000000:80180080", `  [00] CPUID 0x00000001.edx    `, `  [01] CPUID 0x00000001.ecx     ${names}`].join("\n");
    expect(parseXenCpuidFeaturesets(line("est sse41 sse42 hyper")).staticSets.get("Known")![1]).toBe(0x80180080);
    expect(parseXenCpuidFeaturesets(line("eist sse4-1 sse4-2 hypervisor")).staticSets.get("Known")![1]).toBe(0x80180080);
  });

  it("errors: no nr_features, a set before any section, bad hex, too many words, duplicates", () => {
    expect(parseError("Static sets:\nKnown    00000001\n").message).toContain("nr_features");
    expect(parseError("nr_features: 1\nKnown    00000001\n")).toMatchObject({ line: 2, column: 1 });
    expect(parseError("nr_features: 1\nStatic sets:\nKnown    0000000g\n")).toMatchObject({ line: 3, column: 10 });
    expect(parseError("nr_features: 1\nStatic sets:\nKnown    00000001:0000001\n")).toMatchObject({ line: 3, column: 19 });
    expect(parseError(`nr_features: 20\nStatic sets:\nKnown    ${"00000000:".repeat(19)}00000000\n`).message).toContain("20 words");
    expect(parseError("nr_features: 1\nStatic sets:\nKnown    00000001\nKnown    00000001\n").message).toContain("twice");
    expect(parseError("nr_features: 1\nStatic sets:\n").message).toContain("no featureset");
    expect(parseError("nr_features: 2\nStatic sets:\nKnown    00000001\n")).toMatchObject({ line: 3, column: 10 });
    expect(parseError("nr_features: 1\nDynamic sets:\n").message).toContain("Dynamic sets");
    const fewerDynamic = "nr_features: 2\nStatic sets:\nKnown    00000001:00000000\nDynamic sets:\nRaw    00000001\n";
    expect(parseXenCpuidFeaturesets(fewerDynamic).dynamicSets.get("Raw")![0]).toBe(1);
  });
});

describe("xen-cpuid featureset errors, each at its line and column", () => {
  const known = (...lines: string[]) => ["nr_features: 1", "Static sets:", "Known             00000001", ...lines].join("\n");
  const NOT_NAMED = 'expected "<set name>  xxxxxxxx:xxxxxxxx:…"';

  it.each([
    ["nr_features twice", "nr_features: 1\nnr_features: 1\n", 2, 1, "nr_features given twice"],
    ["static sets twice", "nr_features: 1\nStatic sets:\nStatic sets:\n", 3, 1, '"Static sets:" must come first, once'],
    ["dynamic sets twice", known("Dynamic sets:", "Dynamic sets:"), 5, 1, '"Dynamic sets:" must follow the static sets, once'],
    ["an unsupported static set", "nr_features: 1\nStatic sets:\nHVM featureset not supported by Xen\n", 3, 1, "only dynamic sets can be unsupported"],
    ["a decode line with no set before it", "nr_features: 1\nStatic sets:\n  [00] 0x00000001.edx     fpu\n", 3, 1, "word decode line without a featureset line before it"],
    ["a decode line after a blank line", known("", "  [00] 0x00000001.edx     fpu"), 5, 1, "word decode line without a featureset line before it"],
    ["a set line without a name", "nr_features: 1\nStatic sets:\n00000001\n", 3, 1, NOT_NAMED],
    ["a set line of blanks and a word", "nr_features: 1\nStatic sets:\n   00000001\n", 3, 1, NOT_NAMED],
    ["upper-case hex", "nr_features: 1\nStatic sets:\nKnown    0000000A\n", 3, 10, 'featureset word 0 of "Known" must be 8 lowercase hex digits, got "0000000A"'],
    ["more words than Xen defines", `nr_features: 19\nStatic sets:\nKnown    ${"00000000:".repeat(19)}00000000\n`, 3, 10, "featureset has 20 words, at most 19 are defined"],
    ["a static set shorter than nr_features", "nr_features: 2\nStatic sets:\nKnown    00000001\n", 3, 10, '"Known" has 1 words but nr_features is 2'],
    ["a dynamic set longer than nr_features", known("Dynamic sets:", "Raw    00000001:00000000"), 5, 8, '"Raw" has 2 words but nr_features is 1'],
    ["a decode line past the set's words", known("  [00] 0x00000001.edx     fpu", "  [01] 0x00000001.ecx     "), 5, 4, 'expected decode line [01] of "Known" (1 words), got [01]'],
    ["a wrong label", known("  [00] CPUID 0x00000001.ecx     fpu"), 4, 8, 'word 0 is CPUID 0x00000001.edx, but the line is labelled "CPUID 0x00000001.ecx"'],
    ["a name given twice", known("  [00] 0x00000001.edx     fpu  fpu"), 4, 32, "bit 0 of word 0 is named twice"],
    ["a name not of this word", known("  [00] 0x00000001.edx     fpu sse3"), 4, 31, '"sse3" is not a feature name of word 0 (1d)'],
    ["a name whose bit is clear", known("  [00] 0x00000001.edx     fpu pbe"), 4, 31, '"pbe" (bit 31) is named but not set in word 0 of "Known" (00000001)'],
    ["a single name whose bit is clear", known("  [00] 0x00000001.edx     vme"), 4, 27, '"vme" (bit 1) is named but not set in word 0 of "Known" (00000001)'],
    ["\"???\" among names", known("  [00] 0x00000001.edx     ??? fpu"), 4, 27, '"???" is not a feature name of word 0 (1d)'],
    ["a set before any section", "nr_features: 1\nKnown    00000001\n", 2, 1, 'expected "nr_features: N", "Static sets:" or "Dynamic sets:"'],
    ["a short static set with trailing blanks", "nr_features: 2\nStatic sets:\nKnown    00000001   \n", 3, 10, '"Known" has 1 words but nr_features is 2'],
    ["no featureset at all", "nr_features: 1\nStatic sets:\nDynamic sets:\n", 4, 1, 'no featureset found (expected lines like "Host    bfebfbff:…")'],
  ])("%s", (_what, text, line, column, message) => {
    expect(parseError(text).message).toBe(`t.txt:${line}:${column}: ${message}`);
  });

  it("reads section headers and set lines with trailing blanks, blank lines of spaces, dynamic sets alone, and 19 words", () => {
    const text = ["nr_features: 19", "Static sets:  ", "   ", "Dynamic sets: ", `Raw    ${"00000000:".repeat(18)}00000001  `, ""].join("\n");
    const r = parseXenCpuidFeaturesets(text);
    expect(r.staticSets.size).toBe(0);
    expect(r.dynamicSets.get("Raw")![18]).toBe(1);
  });

  it("bits set but not named are listed, at the end of the line", () => {
    const text = ["nr_features: 1", "Static sets:", "Known             0000001b", "  [00] 0x00000001.edx     vme"].join("\n");
    expect(parseError(text).message).toBe('t.txt:4:30: word 0 of "Known" is 0000001b but bit(s) 0, 3, 4 are not named');
  });

  it("reads <UNKNOWN> labels, names apart by several blanks, set names with runs of blanks, CRLF; names its default source", () => {
    const text = ["nr_features: 1", "Static sets:", "HVM   Shadow  Max    00000003", "  [00] <UNKNOWN>     fpu    vme", ""].join("\r\n");
    expect(parseXenCpuidFeaturesets(text).staticSets.get("HVM Shadow Max")![0]).toBe(3);
    expect(parseXenCpuidFeaturesets(DETAIL.replaceAll("\n", "\r\n")).dynamicSets).toEqual(detail.dynamicSets);
    expect(() => parseXenCpuidFeaturesets("nr_features: 1\n")).toThrow("xen-cpuid output:2:1: no featureset found");
  });
});

describe("feature name decoding", () => {
  it("decodes every generated name to its own feature and position", () => {
    for (const f of FEATURES) {
      expect(decodeNames(f.name), f.name).toBe(f);
      expect(bitOfName(f.word, f.name), f.name).toBe(f.bit);
    }
  });

  it("maps the pre-4.19 names of reference §7 to the generated feature", () => {
    const pairs: Array<[string, string]> = [
      ["sysenter", "sep"], ["tm", "tm1"], ["ds-cpl", "dscpl"], ["est", "eist"], ["sdgb", "sdbg"], ["sse41", "sse4-1"],
      ["sse42", "sse4-2"], ["movebe", "movbe"], ["tsc-dl", "tsc-deadline"], ["rdrnd", "rdrand"], ["hyper", "hypervisor"],
      ["mmx+", "mmxext"], ["fxsr+", "ffxsr"], ["pg1g", "page1gb"], ["3dnow+", "3dnowext"],
      ["cmp", "cmp-legacy"], ["cr8d", "cr8-legacy"], ["lzcnt", "abm"], ["msse", "misalignsse"], ["3dnowpf", "3dnowprefetch"],
      ["nodeid", "nodeid-msr"], ["dbx", "dbext"], ["tsc-adj", "tsc-adjust"], ["fdp-exn", "fdp-excp-only"],
      ["depfpp", "no-fpu-sel"], ["lfence+", "lfence-dispatch"], ["energy-ctrl", "energy-filtering"],
      ["lahf_lm", "lahf-lm"], ["avx512_vbmi", "avx512-vbmi"], ["pt", "proc-trace"],
    ];
    for (const [old, generated] of pairs) expect(decodeNames(old)?.name, old).toBe(generated);
    expect(decodeNames("avx512f")?.name).toBe("avx512f");
  });

  it("resolves the two old 'ppin's by word; old-only names have no feature", () => {
    expect(decodeNames("ppin")).toBeUndefined();
    expect(decodeNames("ppin", 8)?.name).toBe("amd-ppin");
    expect(decodeNames("ppin", 12)?.name).toBe("intel-ppin");
    // reference §7 lists 2:16 "fcmov→pat", but Xen has no feature at 0x80000001.edx[16] (the AMD copy of PAT)
    for (const n of ["fcmov", "psn", "ia64", "cntx-id", "mp", "tce", "perfctr-core", "perfctr-nb", "perftsc", "pcx-l2i", "pcommit"]) {
      expect(decodeNames(n), n).toBeUndefined();
    }
    expect(bitOfName(0, "psn")).toBe(18);
    expect(bitOfName(2, "fcmov")).toBe(16);
    expect(bitOfName(2, "fpu")).toBe(0);
    expect(bitOfName(0, "fpu")).toBe(0);
    expect(bitOfName(5, "<31>")).toBe(31);
    expect(bitOfName(5, "<32>")).toBeUndefined();
    expect(bitOfName(1, "avx512f")).toBeUndefined();
  });

  it("the featureset words in the detail fixture round-trip through parseFeatureset", () => {
    for (const fs of detail.dynamicSets.values()) expect(parseFeatureset(formatFeatureset(fs))).toEqual(fs);
  });
});
