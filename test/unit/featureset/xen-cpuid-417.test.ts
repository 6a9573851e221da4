// Debian's real xen-cpuid 4.17 as the judge of our featureset ABI: it decodes
// featuresets given on its command line with Xen's own tables, no hypervisor
// needed.

import { expect, it } from "vitest";
import { FEATURES, featureByValue } from "../../../shared/featureset/features.ts";
import { emptyFeatureset, formatFeatureset, setFeature } from "../../../shared/featureset/featureset.ts";
import { libxlNamedFeatures, parseXenVersion } from "../../../shared/featureset/releases.ts";
import { FEATURESET_WORDS } from "../../../shared/featureset/words.ts";
import { bitOfName, decodeNames } from "../../../shared/formats/xen-feature-names.ts";
import { describeWithXenTools, runXenCpuid } from "../../support/xen-tools.ts";

interface DecodedWord {
  word: number;
  /** the token printed for each set bit, in bit order */
  names: string[];
}

/** `xen-cpuid <fs>…` prints a "Raw <words>" block per argument, then "  [NN] <source> <names>" per word. */
function decodeBlocks(out: string): DecodedWord[][] {
  const blocks: DecodedWord[][] = [];
  for (const line of out.split("\n")) {
    if (line.startsWith("Raw ")) blocks.push([]);
    const m = /^ {2}\[(\d{2})\] .{24}(.*)$/.exec(line);
    if (m) blocks.at(-1)!.push({ word: Number(m[1]), names: m[2].trim().split(/\s+/).filter(Boolean) });
  }
  return blocks;
}

const UNNAMED = /^<(\d+)>$/;

describeWithXenTools("featureset ABI judged by Xen 4.17's xen-cpuid", () => {
  it("every name xen-cpuid 4.17 prints for a bit is that bit in our tables", async () => {
    const allOnes = Array(FEATURESET_WORDS).fill("ffffffff").join(":");
    const [words] = decodeBlocks(await runXenCpuid([allOnes]));
    expect(words.length).toBeGreaterThanOrEqual(14);
    const wrong: string[] = [];
    for (const { word, names } of words) {
      expect(names, `word ${word}`).toHaveLength(32);
      names.forEach((name, bit) => {
        if (!UNNAMED.test(name) && bitOfName(word, name) !== bit) wrong.push(`${name} printed at ${word}:${bit}, ours is ${bitOfName(word, name) ?? "unknown"}`);
      });
    }
    expect(wrong).toEqual([]);
  });

  it("every feature 4.17 knows decodes from our word/bit to that feature; the rest are listed", async () => {
    const args = FEATURES.map((f) => {
      const fs = emptyFeatureset();
      setFeature(fs, f);
      return formatFeatureset(fs);
    });
    const blocks = decodeBlocks(await runXenCpuid(args));
    expect(blocks).toHaveLength(FEATURES.length);
    const unknownTo417: string[] = [];
    FEATURES.forEach((f, i) => {
      const printed = blocks[i].flatMap((w) => w.names.map((name) => ({ word: w.word, name })));
      if (f.word >= blocks[i].length) {
        unknownTo417.push(`${f.name} (word ${f.word} beyond 4.17's featureset)`);
        return;
      }
      expect(printed, f.name).toHaveLength(1);
      const [{ word, name }] = printed;
      expect(word, f.name).toBe(f.word);
      if (UNNAMED.test(name)) {
        expect(name, f.name).toBe(`<${f.bit}>`);
        unknownTo417.push(`${f.name} (${f.word}:${f.bit})`);
      } else {
        expect(decodeNames(name, word), `${f.name}: 4.17 prints "${name}"`).toBe(featureByValue(f.value));
      }
    });
    const named = libxlNamedFeatures(parseXenVersion("4.17.5"));
    const unknownNames = new Set(unknownTo417.map((u) => u.split(" ")[0]));
    expect([...named].filter((f) => unknownNames.has(f.name)).map((f) => f.name), "features we let 4.17 libxl name").toEqual([]);
    console.info(`features Xen 4.17 (Debian bookworm) does not know: ${unknownTo417.length}\n  ${unknownTo417.join("\n  ")}`);
    expect(unknownTo417.length).toBeLessThan(FEATURES.length);
  });
});
