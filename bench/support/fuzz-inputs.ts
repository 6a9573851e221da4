// Outside input for fuzzing the parsers: real inputs (shared fixtures) under
// small mutations, and fully random text, bytes and JSON. Shared by the CI
// fuzz tests (few cases) and bench/fuzz.ts (100,000 cases per entry point).

import fc from "fast-check";
import { FEATURES } from "../../shared/featureset/features.ts";
import { formatLibxlCpuid, formatXendCpuid } from "../../shared/formats/libxl-cpuid.ts";
import { cpuidDumpFixtures, xenCpuidFixture } from "../../devenv/fixtures.ts";

type Mutation = (lines: string[]) => void;

/** One edit of a text seen as lines: a character replaced, a line cut, duplicated, deleted or swapped, the text truncated. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 127 })).map(([l, c, ch]): Mutation => (lines) => {
    const i = l % lines.length;
    const line = lines[i];
    const at = line.length === 0 ? 0 : c % line.length;
    lines[i] = line.slice(0, at) + String.fromCharCode(ch) + line.slice(at + 1);
  }),
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 127 })).map(([l, c, ch]): Mutation => (lines) => {
    const i = l % lines.length;
    const at = c % (lines[i].length + 1);
    lines[i] = lines[i].slice(0, at) + String.fromCharCode(ch) + lines[i].slice(at);
  }),
  fc.tuple(fc.nat(), fc.nat(), fc.oneof(fc.integer(), fc.integer({ min: 0, max: 0xffffffff }).map((n) => `0x${n.toString(16)}`), fc.double())).map(
    ([l, c, n]): Mutation => (lines) => {
      const i = l % lines.length;
      const numbers = [...lines[i].matchAll(/(0x)?[0-9a-f]+/gi)];
      if (numbers.length === 0) return;
      const m = numbers[c % numbers.length];
      lines[i] = lines[i].slice(0, m.index) + String(n) + lines[i].slice(m.index + m[0].length);
    },
  ),
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

/** Texts made from one of `texts` by 1–4 mutations. */
export function mutated(texts: string[]): fc.Arbitrary<string> {
  const split = texts.map((t) => t.split("\n"));
  return fc.tuple(fc.nat({ max: split.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([k, ms]) => {
    const lines = [...split[k]];
    for (const m of ms) m(lines);
    return lines.join("\n");
  });
}

export const randomText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.array(fc.constantFrom("CPUID ", "0000000", "1:", ": ", "-", "[SL 0", "]", "------[ Logical CPU #", " ]------", "\n", "MSR ", "< FAILED >", "0", "F", " ", "=", ",", "x", "k", "no-"), { maxLength: 80 }).map((p) => p.join("")),
);

/** A real input under mutation most of the time, otherwise random text. */
export function textInput(texts: string[]): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: mutated(texts), weight: 3 }, { arbitrary: randomText, weight: 1 });
}

type JsonMutation = (root: unknown) => unknown;

/** Every [container, key] inside a JSON value, so one can be replaced or removed. */
function slots(value: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []) {
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : typeof value === "object" && value !== null ? Object.entries(value) : [];
  for (const [k, v] of entries) {
    out.push([value as Record<string, unknown> | unknown[], k]);
    slots(v, out);
  }
  return out;
}

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(([n, v]): JsonMutation => (root) => {
    const all = slots(root);
    if (all.length === 0) return v;
    const [c, k] = all[n % all.length];
    (c as Record<string | number, unknown>)[k] = v;
    return root;
  }),
  fc.tuple(fc.nat(), fc.oneof(fc.integer(), fc.double(), fc.constant(-1), fc.constant(2 ** 32), fc.constant(2 ** 53))).map(([n, v]): JsonMutation => (root) => {
    const numbers = slots(root).filter(([c, k]) => typeof (c as Record<string | number, unknown>)[k] === "number");
    if (numbers.length > 0) {
      const [c, k] = numbers[n % numbers.length];
      (c as Record<string | number, unknown>)[k] = v;
    }
    return root;
  }),
  fc.nat().map((n): JsonMutation => (root) => {
    const all = slots(root);
    if (all.length === 0) return root;
    const [c, k] = all[n % all.length];
    if (Array.isArray(c)) c.splice(k as number, 1);
    else delete c[k as string];
    return root;
  }),
  fc.nat().map((n): JsonMutation => (root) => {
    const arrays = slots(root).map(([c, k]) => (c as Record<string | number, unknown>)[k]).filter((v): v is unknown[] => Array.isArray(v));
    if (arrays.length > 0) {
      const a = arrays[n % arrays.length];
      a.push(...a);
    }
    return root;
  }),
);

/** JSON documents made from one of `docs` by 1–3 structural mutations (values replaced, keys deleted, arrays doubled). */
export function mutatedJson(docs: unknown[]): fc.Arbitrary<unknown> {
  const texts = docs.map((d) => JSON.stringify(d));
  return fc.tuple(fc.nat({ max: docs.length - 1 }), fc.array(jsonMutation, { minLength: 1, maxLength: 3 })).map(([k, ms]) => {
    let doc: unknown = JSON.parse(texts[k]);
    for (const m of ms) doc = m(doc);
    return doc;
  });
}

/**
 * Bytes as they arrive in a NATS message or a bucket entry: a real document
 * mutated as JSON or as text, any JSON, or any bytes.
 */
export function messageBytes(docs: unknown[]): fc.Arbitrary<Uint8Array> {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const texts = docs.map((d) => JSON.stringify(d, null, 1));
  return fc.oneof(
    { arbitrary: mutatedJson(docs).map((d) => utf8(JSON.stringify(d) ?? "")), weight: 4 },
    { arbitrary: mutated(texts).map(utf8), weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((d) => utf8(JSON.stringify(d))), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 1 },
  );
}

/** Smaller CPUID dumps of each vendor (the big ones make each case slow). */
export function smallDumps(): string[] {
  return cpuidDumpFixtures()
    .filter(([name]) => ["shanghai", "dhyana", "cascadelake", "naples", "alderlake"].some((n) => name.includes(n)))
    .map(([, text]) => text);
}

export function xenCpuidPolicies(): string[] {
  return [
    "xen-cpuid-p_core-i5-12600k_alderlake.txt",
    "xen-cpuid-p_core-i7-1185g7_tigerlake_nested-in-virtualbox.txt",
    "xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt",
  ].map(xenCpuidFixture);
}

/** the same outputs as pasted into a mail reply or a bug report */
export function pastedXenCpuidPolicies(): string[] {
  return xenCpuidPolicies().flatMap((t) => [t.replace(/^/gm, "> "), t.replace(/^/gm, "    ")]);
}

export function xenCpuidFeaturesets(): string[] {
  return [xenCpuidFixture("xen-cpuid-detail_core-i7-8750h_coffeelake.txt")];
}

export function libxlCpuidStrings(): string[] {
  return [
    formatLibxlCpuid({ enable: FEATURES.slice(0, 40), disable: FEATURES.slice(200, 230) }),
    formatXendCpuid({
      enable: FEATURES.slice(0, 60).filter((f) => f.source.kind === "cpuid"),
      disable: FEATURES.slice(100, 140).filter((f) => f.source.kind === "cpuid"),
    }),
    "host,family=0x19,model=1,stepping=2,clflush=8,maxleaf=0xd,sse4.1=k,psn=s,tsc_adjust=x",
    `["0x7,0:ebx=${"x".repeat(31)}0,ecx=${"k".repeat(32)}",\n "1:edx=${"1".repeat(32)}"]`,
  ];
}

/** Xen's `cpuid=` command-line option values, one line: mutations edit characters and numbers within it. */
export function xenCmdlines(): string[] {
  return [
    FEATURES.slice(0, 30).map((f, i) => (i % 3 === 0 ? `no-${f.name}` : i % 3 === 1 ? `${f.name}=1` : f.name)).join(","),
    "avx512f=0,no-rdrand,sse3=on,msr-arch-caps=off",
  ];
}
