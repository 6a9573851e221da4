// Parser for `xen-cpuid` / `xen-cpuid info` and `xen-cpuid detail` output:
// the static featuresets compiled into Xen (Known, Special, PV/HVM masks) and
// the dynamic ones of this host (Raw, Host, PV/HVM Default and Max). In
// detail form every word is followed by a line naming its set bits; those
// names are checked against the word.

import { emptyFeatureset, type Featureset } from "../featureset/featureset.ts";
import { FEATURESET_WORDS, WORDS } from "../featureset/words.ts";
import { FormatError } from "./format-error.ts";
import { bitOfName } from "./xen-feature-names.ts";

export interface XenCpuidFeaturesets {
  /** `nr_features:` — the number of featureset words this Xen has */
  nrFeatures: number;
  /** set name ("Known", "PV Max", "HVM Hap Default", …) → featureset, zero-extended to 19 words */
  staticSets: Map<string, Featureset>;
  /** "Raw", "Host", "PV Default", "HVM Default", "PV Max", "HVM Max" (older Xen: "PV", "HVM") */
  dynamicSets: Map<string, Featureset>;
  /** dynamic sets Xen reported as "<name> featureset not supported by Xen" */
  unsupported: string[];
}

const NR_FEATURES = /^nr_features: (\d{1,3})\s*$/;
const KEY_HEADER = /^\s+KEY(\s|$)/;
const NOT_SUPPORTED = /^(\S.*?) featureset not supported by Xen\s*$/;
const WORD_LINE = /^ {2}\[(\d{2})\] /;
const HEX_WORD = /^[0-9a-f]{8}$/;

interface OpenSet {
  name: string;
  words: number;
  fs: Featureset;
  nextWord: number;
}

/** Splits on runs of spaces, keeping each token's 1-based column. */
function tokens(line: string, from: number): Array<{ text: string; column: number }> {
  const out: Array<{ text: string; column: number }> = [];
  let i = from;
  while (i < line.length) {
    while (line[i] === " ") i++;
    if (i >= line.length) break;
    const start = i;
    while (i < line.length && line[i] !== " ") i++;
    out.push({ text: line.slice(start, i), column: start + 1 });
  }
  return out;
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

export function parseXenCpuidFeaturesets(text: string, source = "xen-cpuid output"): XenCpuidFeaturesets {
  const out: XenCpuidFeaturesets = { nrFeatures: 0, staticSets: new Map(), dynamicSets: new Map(), unsupported: [] };
  let sets: Map<string, Featureset> | undefined;
  let open: OpenSet | undefined;
  let sawNrFeatures = false;

  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    const lineNo = i + 1;
    const fail = (column: number, message: string): never => {
      throw new FormatError(source, lineNo, column, message);
    };
    let m: RegExpExecArray | null;

    if ((m = WORD_LINE.exec(line))) {
      if (!open) fail(1, "word decode line without a featureset line before it");
      checkWordLine(open!, Number(m[1]), line, fail);
      continue;
    }
    open = undefined;
    if (line.trim() === "" || KEY_HEADER.test(line)) continue;
    if ((m = NR_FEATURES.exec(line))) {
      if (sawNrFeatures) fail(1, "nr_features given twice");
      out.nrFeatures = Number(m[1]);
      sawNrFeatures = true;
    } else if (line.trimEnd() === "Static sets:") {
      if (sets) fail(1, '"Static sets:" must come first, once');
      sets = out.staticSets;
    } else if (line.trimEnd() === "Dynamic sets:") {
      if (sets !== out.staticSets) fail(1, '"Dynamic sets:" must follow the static sets, once');
      sets = out.dynamicSets;
    } else if ((m = NOT_SUPPORTED.exec(line))) {
      if (sets !== out.dynamicSets) fail(1, "only dynamic sets can be unsupported");
      out.unsupported.push(m[1]);
    } else {
      if (!sets) fail(1, 'expected "nr_features: N", "Static sets:" or "Dynamic sets:"');
      open = parseSetLine(line, fail);
      if (sets!.has(open.name)) fail(1, `featureset "${open.name}" appears twice in this section`);
      // static sets are printed with nr_features words; Xen may return fewer for a dynamic one
      const wordsOk = sets === out.staticSets ? open.words === out.nrFeatures : open.words <= out.nrFeatures;
      if (sawNrFeatures && !wordsOk) fail(line.trimEnd().lastIndexOf(" ") + 2, `"${open.name}" has ${open.words} words but nr_features is ${out.nrFeatures}`);
      sets!.set(open.name, open.fs);
    }
  }
  if (!sawNrFeatures) throw new FormatError(source, 1, 1, 'expected "nr_features: N" (xen-cpuid info/detail output)');
  if (out.staticSets.size === 0 && out.dynamicSets.size === 0) {
    throw new FormatError(source, lines.length, 1, "no featureset found (expected lines like \"Host    bfebfbff:…\")");
  }
  return out;
}

function parseSetLine(line: string, fail: (column: number, message: string) => never): OpenSet {
  const body = line.trimEnd();
  const split = body.lastIndexOf(" ");
  const name = body.slice(0, split).trim().replace(/\s+/g, " ");
  if (split < 0 || name === "") fail(1, 'expected "<set name>  xxxxxxxx:xxxxxxxx:…"');
  const parts = body.slice(split + 1).split(":");
  if (parts.length > FEATURESET_WORDS) fail(split + 2, `featureset has ${parts.length} words, at most ${FEATURESET_WORDS} are defined`);
  const fs = emptyFeatureset();
  let column = split + 2;
  parts.forEach((p, w) => {
    if (!HEX_WORD.test(p)) fail(column, `featureset word ${w} of "${name}" must be 8 lowercase hex digits, got ${JSON.stringify(p)}`);
    fs[w] = parseInt(p, 16) >>> 0;
    column += p.length + 1;
  });
  return { name, words: parts.length, fs, nextWord: 0 };
}

/** `  [NN] <word label>  name name …`: label and names must agree with word NN of the set. */
function checkWordLine(set: OpenSet, index: number, line: string, fail: (column: number, message: string) => never): void {
  if (index !== set.nextWord || index >= set.words) {
    fail(4, `expected decode line [${String(set.nextWord).padStart(2, "0")}] of "${set.name}" (${set.words} words), got [${String(index).padStart(2, "0")}]`);
  }
  set.nextWord++;
  const toks = tokens(line, 7);
  // The label is "CPUID 0x…" (4.18+), "0x…" (older) or "MSR_ARCH_CAPS.lo"; "<UNKNOWN>" for words the tool did not know.
  const labelTokens = toks[0]?.text === "CPUID" ? 2 : 1;
  const label = toks.slice(0, labelTokens).map((t) => t.text).join(" ");
  const expected = WORDS[index].sourceName;
  if (label !== expected && `CPUID ${label}` !== expected && label !== "<UNKNOWN>") {
    fail(8, `word ${index} is ${expected}, but the line is labelled ${JSON.stringify(label)}`);
  }
  const names = toks.slice(labelTokens);
  if (names.length === 1 && names[0].text === "???") return; // pre-4.19 tool without a name table for this word
  const value = set.fs[index];
  let named = 0;
  for (const n of names) {
    const bit = bitOfName(index, n.text);
    if (bit === undefined) fail(n.column, `"${n.text}" is not a feature name of word ${index} (${WORDS[index].abbrev})`);
    const mask = (1 << bit) >>> 0;
    if ((named & mask) !== 0) fail(n.column, `bit ${bit} of word ${index} is named twice`);
    if ((value & mask) === 0) fail(n.column, `"${n.text}" (bit ${bit}) is named but not set in word ${index} of "${set.name}" (${hex8(value)})`);
    named = (named | mask) >>> 0;
  }
  if (named !== value) {
    const missing = (value & ~named) >>> 0;
    const bits = [...Array(32).keys()].filter((b) => (missing >>> b) & 1);
    fail(line.length + 1, `word ${index} of "${set.name}" is ${hex8(value)} but bit(s) ${bits.join(", ")} are not named`);
  }
}
