// libxl / xl.cfg `cpuid=` (reference §8): the libxl string
// "host,<key>=<value>,…" and the xend list ["leaf[,subleaf]:eax=<32 chars>,…"].
// Names resolve as libxl 4.18+ does: its legacy table first (value keys and
// 33 old feature keys), then every generated feature name, so the CLFLUSH
// feature is written "clfsh" ("clflush" is the line-size value key).
// Where libxl silently ignores trailing characters after a number or
// truncates a value to its field, this parser reports an error instead.

import { FEATURES, featureByName, type Feature } from "../featureset/features.ts";
import { hasFeature, type Featureset } from "../featureset/featureset.ts";
import { KNOWN_FEATURES } from "../featureset/masks.ts";
import { formatXenVersion, libxlNamedFeatures, type XenVersion } from "../featureset/releases.ts";
import type { Register } from "../featureset/words.ts";
import { FormatError } from "./format-error.ts";

/** 1 force on, 0 force off, x default policy value, k host value, s old alias of k */
export type LibxlSetting = "0" | "1" | "x" | "k" | "s";

export interface LibxlCpuidItem {
  key: string;
  kind: "feature" | "value";
  /** the Xen feature; undefined for legacy keys of bits Xen has no feature for (psn, arat, svm_npt, …) */
  feature?: Feature;
  /** features: the setting (a number is reduced to its lowest bit, as libxl does); value keys: the number, or x/k/s */
  value: LibxlSetting | number;
  /** 1-based column of the key */
  column: number;
}

export interface XendCpuidLeaf {
  leaf: number;
  subleaf: number | null;
  /** 32 characters of 0 1 x k s, most significant bit first */
  registers: Partial<Record<Register, string>>;
}

export type LibxlCpuid = { form: "libxl"; items: LibxlCpuidItem[] } | { form: "xend"; leaves: XendCpuidLeaf[] };

interface Field {
  leaf: number;
  subleaf: number | null;
  register: Register;
  bit: number;
  length: number;
}

const field = (leaf: number, subleaf: number | null, register: Register, bit: number, length = 1): Field => ({
  leaf,
  subleaf,
  register,
  bit,
  length,
});

// libxl_cpuid.c cpuid_flags[] (4.18+), checked before the generated names.
const LEGACY_KEYS = new Map<string, Field>([
  ["maxleaf", field(0x0, null, "eax", 0, 32)],
  ["stepping", field(0x1, null, "eax", 0, 4)],
  ["model", field(0x1, null, "eax", 4, 8)],
  ["family", field(0x1, null, "eax", 8, 8)],
  ["brandid", field(0x1, null, "ebx", 0, 8)],
  ["clflush", field(0x1, null, "ebx", 8, 8)],
  ["proccount", field(0x1, null, "ebx", 16, 8)],
  ["localapicid", field(0x1, null, "ebx", 24, 8)],
  ["est", field(0x1, null, "ecx", 7)],
  ["cntxid", field(0x1, null, "ecx", 10)],
  ["cmpxchg16", field(0x1, null, "ecx", 13)],
  ["sse4_1", field(0x1, null, "ecx", 19)],
  ["sse4.1", field(0x1, null, "ecx", 19)],
  ["sse4_2", field(0x1, null, "ecx", 20)],
  ["sse4.2", field(0x1, null, "ecx", 20)],
  ["aes", field(0x1, null, "ecx", 25)],
  ["cmpxchg8", field(0x1, null, "edx", 8)],
  ["sysenter", field(0x1, null, "edx", 11)],
  ["psn", field(0x1, null, "edx", 18)],
  ["clfsh", field(0x1, null, "edx", 19)],
  ["tm", field(0x1, null, "edx", 29)],
  ["ia64", field(0x1, null, "edx", 30)],
  ["arat", field(0x6, null, "eax", 2)],
  ["tsc_adjust", field(0x7, 0, "ebx", 1)],
  ["cmt", field(0x7, 0, "ebx", 12)],
  ["lahfsahf", field(0x80000001, null, "ecx", 0)],
  ["cmplegacy", field(0x80000001, null, "ecx", 1)],
  ["altmovcr8", field(0x80000001, null, "ecx", 4)],
  ["nodeid", field(0x80000001, null, "ecx", 19)],
  ["perfctr_core", field(0x80000001, null, "ecx", 23)],
  ["perfctr_nb", field(0x80000001, null, "ecx", 24)],
  ["procpkg", field(0x4, 0, "eax", 26, 6)],
  ["invtsc", field(0x80000007, null, "edx", 8)],
  ["ppin", field(0x80000008, null, "ebx", 23)],
  ["nc", field(0x80000008, null, "ecx", 0, 8)],
  ["apicidsize", field(0x80000008, null, "ecx", 12, 4)],
  ["svm_npt", field(0x8000000a, null, "edx", 0)],
  ["svm_lbrv", field(0x8000000a, null, "edx", 1)],
  ["svm_nrips", field(0x8000000a, null, "edx", 3)],
  ["svm_tscrate", field(0x8000000a, null, "edx", 4)],
  ["svm_vmcbclean", field(0x8000000a, null, "edx", 5)],
  ["svm_decode", field(0x8000000a, null, "edx", 7)],
  ["svm_pausefilt", field(0x8000000a, null, "edx", 10)],
  ["lfence+", field(0x80000021, null, "eax", 2)],
  ["maxhvleaf", field(0x40000000, null, "eax", 0, 8)],
]);

/** Largest number a value key takes: what its field holds; family continues into the extended family (15 + 255). */
function maxValue(key: string, f: Field): number {
  if (key === "family") return 0xf + 0xff;
  return 2 ** f.length - 1;
}

function featureAt(f: Field): Feature | undefined {
  if (f.length !== 1) return undefined;
  return FEATURES.find(
    (x) => x.source.kind === "cpuid" && x.source.leaf === f.leaf && x.source.subleaf === f.subleaf && x.source.register === f.register && x.bit === f.bit,
  );
}

const legacyFeature = new Map([...LEGACY_KEYS].map(([key, f]) => [key, featureAt(f)]));

/** strtoul(…, 0) over the whole text: 0x hex, leading-0 octal, else decimal. */
function parseCNumber(s: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]*$/.test(s)) return parseInt(s, 8);
  if (/^[1-9][0-9]*$/.test(s)) return parseInt(s, 10);
  return undefined;
}

const isMsrFeature = (f: Feature) => f.source.kind === "msr";

/** Turns character offsets of the whole input into FormatErrors with line and column. */
class Positions {
  private readonly text: string;
  private readonly source: string;
  constructor(text: string, source: string) {
    this.text = text;
    this.source = source;
  }
  column(at: number): number {
    return at - (this.text.lastIndexOf("\n", at - 1) + 1) + 1;
  }
  error(at: number, message: string): FormatError {
    let line = 1;
    for (let i = this.text.indexOf("\n"); i >= 0 && i < at; i = this.text.indexOf("\n", i + 1)) line++;
    return new FormatError(this.source, line, this.column(at), message);
  }
}

export function parseLibxlCpuid(text: string, source = "libxl cpuid string"): LibxlCpuid {
  const pos = new Positions(text, source);
  let start = 0;
  let end = text.length;
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  if (text[start] === "[") return { form: "xend", leaves: parseXendList(text, start, end, pos) };
  // an xl.cfg string literal: "host,…" or 'host,…'
  const quote = text[start];
  if ((quote === '"' || quote === "'") && end - start >= 2 && text[end - 1] === quote) {
    start++;
    end--;
  }
  return { form: "libxl", items: parseLibxlString(text, start, end, pos) };
}

function parseLibxlString(text: string, start: number, end: number, pos: Positions): LibxlCpuidItem[] {
  // xl splits with strtok(","): empty items vanish
  const tokens: Array<{ text: string; at: number }> = [];
  let at = start;
  for (const part of text.slice(start, end).split(",")) {
    if (part !== "") tokens.push({ text: part, at });
    at += part.length + 1;
  }
  if (tokens.length === 0 || tokens[0].text !== "host") {
    throw pos.error(tokens[0]?.at ?? start, `a libxl cpuid string starts with "host", got ${JSON.stringify(tokens[0]?.text ?? "")}`);
  }
  return tokens.slice(1).map((t) => parseItem(t.text, t.at, pos));
}

function parseItem(item: string, at: number, pos: Positions): LibxlCpuidItem {
  const eq = item.indexOf("=");
  if (eq < 0) throw pos.error(at, `missing "=" in key=value: ${JSON.stringify(item)}`);
  const key = item.slice(0, eq);
  const raw = item.slice(eq + 1);
  const column = pos.column(at);
  const illegal = (why: string) => pos.error(at + eq + 1, `illegal CPUID value ${JSON.stringify(raw)} for "${key}": ${why}`);
  const n = parseCNumber(raw);
  const letter = raw === "x" || raw === "k" || raw === "s" ? raw : undefined;

  const legacy = LEGACY_KEYS.get(key);
  if (legacy && legacy.length > 1) {
    if (letter) return { key, kind: "value", value: letter, column };
    if (n === undefined) throw illegal("expected a number (decimal, 0x hex or 0 octal) or x, k, s");
    const max = maxValue(key, legacy);
    if (n > max) throw illegal(`at most ${max}`);
    return { key, kind: "value", value: n, column };
  }
  const feature = legacy ? legacyFeature.get(key) : featureByName(key);
  if (!legacy && !feature) throw pos.error(at, `unknown CPUID flag name ${JSON.stringify(key)}`);
  let value: LibxlSetting;
  if (letter) value = letter;
  else if (feature && isMsrFeature(feature)) {
    if (raw !== "0" && raw !== "1") throw illegal("MSR_ARCH_CAPS features take one of 0 1 x k s");
    value = raw;
  } else if (n !== undefined) value = n % 2 === 1 ? "1" : "0";
  else throw illegal("expected 1, 0, x, k or s");
  return feature ? { key, kind: "feature", feature, value, column } : { key, kind: "feature", value, column };
}

const XEND_REGISTER = /^(e[abcd]x)=/;
const XEND_BITS = /^[01xks]{32}$/;

/** ["leaf[,subleaf]:eax=<32 chars>,ebx=…", …] with Python string quotes. */
function parseXendList(text: string, start: number, end: number, pos: Positions): XendCpuidLeaf[] {
  const leaves: XendCpuidLeaf[] = [];
  let i = start + 1;
  const skipSpace = () => {
    while (i < end && /\s/.test(text[i])) i++;
  };
  skipSpace();
  while (i < end && text[i] !== "]") {
    const quote = text[i];
    if (quote !== '"' && quote !== "'") throw pos.error(i, "expected a quoted xend cpuid item or \"]\"");
    const close = text.indexOf(quote, i + 1);
    if (close < 0) throw pos.error(i, "unterminated string");
    leaves.push(parseXendItem(text.slice(i + 1, close), i + 1, pos));
    i = close + 1;
    skipSpace();
    if (text[i] === ",") {
      i++;
      skipSpace();
    } else if (text[i] !== "]") throw pos.error(i, 'expected "," or "]" after an item');
  }
  if (i !== end - 1) throw pos.error(i, 'expected "]" ending the list');
  return leaves;
}

function parseXendItem(item: string, at: number, pos: Positions): XendCpuidLeaf {
  const colon = item.indexOf(":");
  if (colon < 0) throw pos.error(at, 'expected "leaf[,subleaf]:" before the registers');
  const [leafText, subleafText, ...extra] = item.slice(0, colon).split(",");
  if (extra.length > 0) throw pos.error(at, 'expected "leaf[,subleaf]:"');
  const leaf = parseCNumber(leafText.trim());
  if (leaf === undefined || leaf > 0xffffffff) throw pos.error(at, `leaf ${JSON.stringify(leafText)} is not a 32-bit number`);
  let subleaf: number | null = null;
  if (subleafText !== undefined) {
    const s = parseCNumber(subleafText.trim());
    if (s === undefined || s > 0xffffffff) throw pos.error(at + leafText.length + 1, `subleaf ${JSON.stringify(subleafText)} is not a 32-bit number`);
    subleaf = s;
  }
  const registers: Partial<Record<Register, string>> = {};
  let offset = colon + 1;
  for (const part of item.slice(colon + 1).split(",")) {
    const trimmed = part.trimStart();
    const partAt = at + offset + (part.length - trimmed.length);
    const m = XEND_REGISTER.exec(trimmed);
    if (!m) throw pos.error(partAt, 'expected "eax=", "ebx=", "ecx=" or "edx="');
    const bits = trimmed.slice(4);
    if (!XEND_BITS.test(bits)) throw pos.error(partAt + 4, `${m[1]} must be exactly 32 characters of 0 1 x k s, got ${JSON.stringify(bits)}`);
    const register = m[1] as Register;
    if (registers[register] !== undefined) throw pos.error(partAt, `${register} given twice`);
    registers[register] = bits;
    offset += part.length + 1;
  }
  return { leaf, subleaf, registers };
}

/** The key libxl resolves to feature f: its name, or a legacy alias where a legacy key shadows the name. */
function libxlKey(f: Feature): string {
  if (!LEGACY_KEYS.has(f.name)) return f.name;
  for (const [key, feature] of legacyFeature) if (feature === f) return key;
  throw new RangeError(`feature ${f.name} has no key libxl resolves to it`);
}

export interface LibxlChanges {
  enable: readonly Feature[];
  disable: readonly Feature[];
}

/** "host,<key>=1,…,<key>=0,…" in featureset order; libxl leaves every other bit at its default. */
export function formatLibxlCpuid(changes: LibxlChanges): string {
  const settings = new Map<Feature, "1" | "0">();
  for (const f of changes.enable) settings.set(f, "1");
  for (const f of changes.disable) {
    if (settings.get(f) === "1") throw new RangeError(`feature ${f.name} is both enabled and disabled`);
    settings.set(f, "0");
  }
  const items = [...settings].sort(([a], [b]) => a.value - b.value).map(([f, v]) => `${libxlKey(f)}=${v}`);
  return ["host", ...items].join(",");
}

/** The features to turn on and off to make the default featureset `base` into `target`. */
function featureChanges(target: Featureset, base: Featureset): LibxlChanges {
  for (let w = 0; w < target.length; w++) {
    const unnamed = (target[w] ^ base[w]) & ~KNOWN_FEATURES[w];
    if (unnamed !== 0) throw new RangeError(`featureset word ${w} differs in bits no feature names (0x${(unnamed >>> 0).toString(16)})`);
  }
  const enable: Feature[] = [];
  const disable: Feature[] = [];
  for (const f of FEATURES) {
    const want = hasFeature(target, f);
    if (want !== hasFeature(base, f)) (want ? enable : disable).push(f);
  }
  return { enable, disable };
}

/**
 * The xend list setting the changed bits, every other bit "x" (default):
 * ["0x1:ecx=xxx…0…,edx=…", "0x7,0:ebx=…"]. It carries no MSRs.
 */
export function formatXendCpuid(changes: LibxlChanges): string {
  const registers = new Map<string, { leaf: number; subleaf: number | null; bits: Map<Register, string[]> }>();
  const set = (f: Feature, value: "1" | "0") => {
    const s = f.source;
    if (s.kind !== "cpuid") throw new RangeError(`${f.name} is an MSR_ARCH_CAPS bit; the xend cpuid= form has no MSRs`);
    const key = `${s.leaf}:${s.subleaf}`;
    let leaf = registers.get(key);
    if (!leaf) registers.set(key, (leaf = { leaf: s.leaf, subleaf: s.subleaf, bits: new Map() }));
    let bits = leaf.bits.get(s.register);
    if (!bits) leaf.bits.set(s.register, (bits = Array<string>(32).fill("x")));
    bits[31 - f.bit] = value;
  };
  for (const f of changes.enable) set(f, "1");
  for (const f of changes.disable) set(f, "0");
  const items = [...registers.values()]
    .sort((a, b) => a.leaf - b.leaf || (a.subleaf ?? -1) - (b.subleaf ?? -1))
    .map(({ leaf, subleaf, bits }) => {
      const regs = (["eax", "ebx", "ecx", "edx"] as const).filter((r) => bits.has(r)).map((r) => `${r}=${bits.get(r)!.join("")}`);
      return `"0x${leaf.toString(16)}${subleaf === null ? "" : `,${subleaf}`}:${regs.join(",")}"`;
    });
  return `[${items.join(", ")}]`;
}

/**
 * The right-hand side of the xl.cfg `cpuid=` line that turns the default
 * featureset `base` into `target` for the libxl of Xen `version`: a quoted
 * "host,<name>=…" string when that libxl knows every name needed, otherwise
 * the xend list, which every libxl accepts and which means the same.
 */
export function cpuidSettingFromPolicies(target: Featureset, base: Featureset, version: XenVersion): string {
  const changes = featureChanges(target, base);
  const named = libxlNamedFeatures(version);
  const unnamed = [...changes.enable, ...changes.disable].filter((f) => !named.has(f));
  if (unnamed.length === 0) return `"${formatLibxlCpuid(changes)}"`;
  const msr = [...changes.enable, ...changes.disable].filter((f) => f.source.kind === "msr");
  if (msr.length > 0) {
    throw new RangeError(
      `the libxl of Xen ${formatXenVersion(version)} knows no name for ${unnamed.map((f) => f.name).join(", ")}, ` +
        `and the xend form it would need instead sets no MSR_ARCH_CAPS bits (${msr.map((f) => f.name).join(", ")})`,
    );
  }
  return formatXendCpuid(changes);
}
