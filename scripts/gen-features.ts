// Writes Xen's featureset table (shared/featureset/feature-rows.ts) from
// ../shared/reference/xen-features.tsv and its direct dependency table
// (shared/featureset/dependency-rows.ts) from section 2.3 of
// ../shared/reference/xen-cpu-policy.md, with Xen's reason for each
// dependency as a comment. `--check` exits 1 when the committed files differ
// from the generator's output; a reference that does not parse is an error
// naming its file and line.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeOrCheck, type GeneratedFile } from "./generated-files.ts";

const REFERENCE = join(import.meta.dirname, "..", "..", "shared", "reference");
const FEATURES_TSV = "xen-features.tsv";
const POLICY_MD = "xen-cpu-policy.md";
const TSV_HEADER = "name\tword\tbit\tleaf\tsubleaf\tregister\tannotation";
const DEPENDENCY_SECTION = "### 2.3 ";
const ANNOTATION_ORDER = "!AaSsHh|";

/**
 * Why each key's dependents need it, as gen-cpuid.py explains its "deps"
 * table (in our words). Keyed by the key feature; every key of the reference
 * table must have one and every entry must be used.
 */
const REASONS: Readonly<Record<string, string>> = {
  fpu: "FPU means the x87 registers too: MMX registers alias them, and restoring x87 error pointers needs an x87.",
  pse: "PSE36 lets reserved bits of a PSE superpage carry extra physical address bits.",
  pae: "Long mode requires CR4.PAE; the NX bit exists only in the 64-bit PTE format PAE brings.",
  tsc: "The TSC deadline timer, RDTSCP, TSC_ADJUST and the invariant TSC all build on the TSC.",
  apic: "x2APIC, the TSC deadline timer and the extended APIC space all need a local APIC in the first place.",
  clflush: "CLZERO works on cache lines whose size CLFLUSH enumerates.",
  mmx: "AMD built the MMX extensions and 3DNow! on top of MMX.",
  fxsr: "SSE state is saved with FXSAVE/FXRSTOR (older than SSE, hence its own bit); fast FXSR is AMD's optimisation of them.",
  sse: "SSE means the XMM registers too, which later instruction sets build on; AMD's misaligned-SSE mode is a sub-mode of SSE.",
  sse2: "SSE2 is part of the 64-bit core, and the integer-vector extensions build on it rather than on SSE.",
  sse3: "Each SSEn builds on its predecessor; SSE4A needs only SSE3 (AMD shipped it without SSSE3).",
  ssse3: "Each SSEn builds on its predecessor.",
  "sse4-1": "Each SSEn builds on its predecessor. POPCNT works on general registers and stays independent of SSE4.2.",
  xsave: "XSAVE manages state rather than adding any: its variants build on it, and AVX, MPX, PKU, AMX and LWP keep their state through it.",
  avx: "AVX means the 256-bit YMM registers, which these instruction sets use (AVX does not mean the VEX prefix: VEX-encoded GPR instructions work without it).",
  nx: "Only Xen's shadow paging needs this: without NX on the host it cannot give guests SMAP correctly.",
  lm: "These exist only in long mode or its 4-level paging: CX16, LAHF/SAHF in 64-bit mode, 1G pages, PCID, PKU, the absence of segment limits, and the newer 64-bit-only instructions.",
  "3dnow": "The extended 3DNow! of later AMD K6 parts builds on 3DNow!.",
  avx2: "AVX-512 state requires AVX2 state; later extensions on 256-bit integer vectors build on AVX2 rather than AVX.",
  avx512f: "AVX512F means the 512-bit and mask registers; every other AVX-512 extension builds on it.",
  avx512bw: "Byte and word AVX-512 extensions need the mask registers wider than 16 bits that AVX512BW brings.",
  pclmulqdq: "The VEX/EVEX form of an instruction with its own feature bit depends on the legacy form.",
  aesni: "The VEX/EVEX form of an instruction with its own feature bit depends on the legacy form.",
  ibrsb: "These add bits to MSR_SPEC_CTRL, which IBRSB enumerates; no real hardware has them without it, and Xen passes the MSR through.",
  ibrs: "These add bits or hints to MSR_SPEC_CTRL, which AMD's IBRS enumerates; no real hardware has them without it, and Xen passes the MSR through.",
  ibpb: "These refine what the IBPB command flushes, so they need IBPB.",
  "amd-stibp": "STIBP always-on is a hint about STIBP.",
  rtm: "TSX load-address tracking is an RTM extension (it could arguably stand alone).",
  psfd: "Enhanced PSF is a property of predictive store forwarding disable.",
  "arch-caps": "The ARCH_CAPS bit enumerates the whole MSR_ARCH_CAPABILITIES register, named bits or not.",
  eibrs: "RRSBA describes how the RSB behaves while enhanced IBRS is active.",
  "amx-tile": "The AMX instruction sets work on the tile registers AMX-TILE brings.",
};

class ReferenceDataError extends Error {
  override name = "ReferenceDataError";
  constructor(file: string, line: number, message: string) {
    super(`../shared/reference/${file}:${line}: ${message}`);
  }
}

/** Xen's upper-case name (SSE4_1) in its command-line form (sse4-1). */
const cliName = (xenName: string) => xenName.toLowerCase().replace(/_/g, "-");

interface FeatureRow {
  name: string;
  word: number;
  bit: number;
  annotation: string;
}

function parseFeatures(text: string): FeatureRow[] {
  const lines = text.trimEnd().split("\n");
  if (lines[0] !== TSV_HEADER) throw new ReferenceDataError(FEATURES_TSV, 1, `header is not "${TSV_HEADER.replace(/\t/g, "\\t")}"`);
  return lines.slice(1).map((line, i) => {
    const at = i + 2;
    const cells = line.split("\t");
    if (cells.length !== 7) throw new ReferenceDataError(FEATURES_TSV, at, `expected 7 tab-separated fields, found ${cells.length}`);
    const [name, word, bit, , , , annotation] = cells;
    if (!/^[A-Z0-9_]+$/.test(name)) throw new ReferenceDataError(FEATURES_TSV, at, `feature name "${name}" is not Xen's upper-case form`);
    if (!/^\d+$/.test(word) || !/^\d+$/.test(bit) || Number(bit) > 31) throw new ReferenceDataError(FEATURES_TSV, at, `${name}: word "${word}" / bit "${bit}" is not a featureset position`);
    const unknown = [...annotation].find((c) => !ANNOTATION_ORDER.includes(c));
    if (unknown) throw new ReferenceDataError(FEATURES_TSV, at, `${name}: unknown annotation character "${unknown}"`);
    const ordered = [...annotation].sort((a, b) => ANNOTATION_ORDER.indexOf(a) - ANNOTATION_ORDER.indexOf(b)).join("");
    return { name: cliName(name), word: Number(word), bit: Number(bit), annotation: ordered };
  });
}

interface Dependency {
  key: string;
  dependents: string[];
}

interface Dependencies {
  direct: Dependency[];
  /** featureset words every bit of which depends on arch-caps */
  archCapsWords: number[];
}

function parseDependencies(text: string, known: ReadonlySet<string>): Dependencies {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(DEPENDENCY_SECTION));
  if (start < 0) throw new ReferenceDataError(POLICY_MD, 1, `no section "${DEPENDENCY_SECTION}…" (the direct dependency table)`);
  const direct: Dependency[] = [];
  let archCapsWords: number[] | undefined;
  for (let i = start + 1; i < lines.length && !lines[i].startsWith("#"); i++) {
    const at = i + 1;
    if (!lines[i].startsWith("- ")) continue;
    const entry = lines[i].slice(2).replace(/\s*\([^)]*\)\s*$/, "");
    for (const clause of entry.split(";").map((c) => c.trim())) {
      const m = /^([A-Z0-9_]+) ⇒ (.+)$/.exec(clause);
      if (!m) throw new ReferenceDataError(POLICY_MD, at, `"${clause}" is not "KEY ⇒ FEATURE, …"`);
      const key = feature(m[1], known, at);
      const words = /^every feature in words (\d+)–(\d+)$/.exec(m[2]);
      if (words) {
        if (key !== "arch-caps") throw new ReferenceDataError(POLICY_MD, at, `only ARCH_CAPS may depend on whole words, not ${m[1]}`);
        archCapsWords = range(Number(words[1]), Number(words[2]));
        continue;
      }
      direct.push({ key, dependents: m[2].split(",").map((d) => feature(d.trim(), known, at)) });
    }
  }
  if (!archCapsWords) throw new ReferenceDataError(POLICY_MD, start + 1, "the table has no ARCH_CAPS ⇒ every feature in words N–M entry");
  return { direct, archCapsWords };
}

function feature(xenName: string, known: ReadonlySet<string>, at: number): string {
  const name = cliName(xenName);
  if (!known.has(name)) throw new ReferenceDataError(POLICY_MD, at, `${xenName} is not a feature of ${FEATURES_TSV}`);
  return name;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function reasonFor(key: string): string {
  const reason = REASONS[key];
  if (!reason) throw new Error(`scripts/gen-features.ts: REASONS has no reason for dependency key ${key}`);
  return reason;
}

const GENERATED = "Generated by scripts/gen-features.ts";

function renderFeatureRows(rows: readonly FeatureRow[]): string {
  return `// Xen's featureset ABI (cpufeatureset.h at master c447b7308b): every named
// feature, its word/bit and its annotation. ${GENERATED}
// from ../shared/reference/${FEATURES_TSV}; do not edit.
//
// Annotation characters: A/S/H default for all/HVM/HVM-HAP guests, a/s/h opt-in
// (max only), ! computed specially by Xen, | OR-ed when levelling a pool.

/** [name in Xen's command-line form, word, bit, annotation] */
export const FEATURE_ROWS: ReadonlyArray<readonly [string, number, number, string]> = [
${rows.map((r) => `  [${JSON.stringify(r.name)}, ${r.word}, ${r.bit}, ${JSON.stringify(r.annotation)}],`).join("\n")}
];
`;
}

const LINE_WIDTH = 100;

function renderDependency({ key, dependents }: Dependency): string {
  const comment = wrap(reasonFor(key), LINE_WIDTH - 5).map((l) => `  // ${l}`);
  const names = dependents.map((d) => JSON.stringify(d));
  const oneLine = `  [${JSON.stringify(key)}, [${names.join(", ")}]],`;
  if (oneLine.length <= LINE_WIDTH) return [...comment, oneLine].join("\n");
  const listed = wrap(names.join(", "), LINE_WIDTH - 6).map((l) => `    ${l}`);
  return [...comment, `  [${JSON.stringify(key)}, [`, ...listed.map((l, i) => (i === listed.length - 1 ? `${l},` : l)), "  ]],"].join("\n");
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

function renderDependencyRows(deps: Dependencies): string {
  const keys = new Set(["arch-caps", ...deps.direct.map((d) => d.key)]);
  const unused = Object.keys(REASONS).filter((k) => !keys.has(k));
  if (unused.length) throw new Error(`scripts/gen-features.ts: REASONS names keys the dependency table does not have: ${unused.join(", ")}`);
  return `// Xen's direct feature dependencies (gen-cpuid.py "deps"): key ⇒ the features
// that need it. ${GENERATED} from section 2.3 of
// ../shared/reference/${POLICY_MD}; do not edit.

/** [key, the features that need it], each with Xen's reason */
export const DEPENDENCY_ROWS: ReadonlyArray<readonly [string, readonly string[]]> = [
${deps.direct.map(renderDependency).join("\n")}
];

${wrap(reasonFor("arch-caps"), LINE_WIDTH - 3)
  .map((l) => `// ${l}`)
  .join("\n")}
/** Featureset words (MSR_ARCH_CAPS) every bit of which depends on arch-caps. */
export const ARCH_CAPS_WORDS: readonly number[] = [${deps.archCapsWords.join(", ")}];
`;
}

function generate(): GeneratedFile[] {
  const rows = parseFeatures(readFileSync(join(REFERENCE, FEATURES_TSV), "utf8"));
  const deps = parseDependencies(readFileSync(join(REFERENCE, POLICY_MD), "utf8"), new Set(rows.map((r) => r.name)));
  return [
    { file: "shared/featureset/feature-rows.ts", text: renderFeatureRows(rows) },
    { file: "shared/featureset/dependency-rows.ts", text: renderDependencyRows(deps) },
  ];
}

try {
  process.exitCode = writeOrCheck(generate(), "scripts/gen-features.ts");
} catch (e) {
  if (!(e instanceof ReferenceDataError)) throw e;
  console.error(`gen-features: ${e.message}`);
  process.exitCode = 2;
}
