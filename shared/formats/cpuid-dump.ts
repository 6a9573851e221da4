// Parser for the raw CPUID dumps in fixtures/cpuid-dumps (AIDA64 / EVEREST
// reports and the InstLatX64 dumper; variants A, B and C of its FORMAT.md).
// One pass over the text with fixed-position field checks, so a 2 MB report
// with 256 logical CPUs parses in a few milliseconds.

import { NO_SUBLEAF, type Regs } from "../policy/cpu-policy.ts";
import { FormatError } from "./format-error.ts";

export interface DumpLeaf {
  leaf: number;
  /** the `[SL nn]` tag, or null for an untagged line */
  subleaf: number | null;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
  /** 1-based line number in the dump */
  line: number;
}

export interface DumpCpu {
  /** logical processor number from the block header */
  index: number;
  leaves: DumpLeaf[];
}

export interface CpuidDump {
  cpus: DumpCpu[];
  /** MSRs of CPU #0's (or the global) MSR section; first sample of each, failed reads absent */
  msrs: Map<number, bigint>;
}

const DEFAULT_SOURCE = "cpuid dump";

const ROW = 7; // leaf, subleaf (-1 = untagged), eax, ebx, ecx, edx, line

/**
 * A parsed block keeps its register lines as rows of one Float64Array and
 * builds DumpLeaf objects on first use: a 256-CPU dump then costs a few
 * arrays instead of ~20,000 objects with boxed 32-bit fields, and callers
 * mostly look at the boot CPU only.
 */
class DumpBlock implements DumpCpu {
  readonly index: number;
  size = 0;
  private rows = new Float64Array(128 * ROW);
  private cachedLeaves: DumpLeaf[] | undefined;

  constructor(index: number) {
    this.index = index;
  }

  add(leaf: number, subleaf: number | null, eax: number, ebx: number, ecx: number, edx: number, line: number): void {
    let r = this.rows;
    const at = this.size * ROW;
    if (at === r.length) {
      r = new Float64Array(r.length * 2);
      r.set(this.rows);
      this.rows = r;
    }
    r[at] = leaf;
    r[at + 1] = subleaf ?? -1;
    r[at + 2] = eax;
    r[at + 3] = ebx;
    r[at + 4] = ecx;
    r[at + 5] = edx;
    r[at + 6] = line;
    this.size++;
    this.cachedLeaves = undefined;
  }

  get leaves(): DumpLeaf[] {
    if (!this.cachedLeaves) {
      const r = this.rows;
      this.cachedLeaves = [];
      for (let i = 0; i < this.size * ROW; i += ROW) {
        const subleaf = r[i + 1] < 0 ? null : r[i + 1];
        this.cachedLeaves.push({ leaf: r[i], subleaf, eax: r[i + 2], ebx: r[i + 3], ecx: r[i + 4], edx: r[i + 5], line: r[i + 6] });
      }
    }
    return this.cachedLeaves;
  }

  toJSON(): DumpCpu {
    return { index: this.index, leaves: this.leaves };
  }
}

// Register line: "CPUID LLLLLLLL: AAAAAAAA-BBBBBBBB-CCCCCCCC-DDDDDDDD[ [SL nn]][annotation]"
const LEAF_AT = 6;
const REGS_AT = 16; // eax; ebx, ecx, edx follow at 9-character steps
const REGS_LENGTH = 4 * 9 - 1;
const REGISTER_NAMES = ["EAX", "EBX", "ECX", "EDX"];
const SUBLEAF_TAG = " [SL ";

// "MSR IIIIIIII: HHHH-HHHH-HHHH-HHHH" or "MSR IIIIIIII: < FAILED >"
const MSR_INDEX_AT = 4;
const MSR_VALUE_AT = 14;
const MSR_FAILED = "< FAILED >";

const CPU_SECTION = /^------\[ (?:CPUID Registers \/ )?Logical CPU #(\d{1,6}) \]------\s*$/;
const MSR_SECTION = /^------\[ MSR Registers(?: \/ Logical CPU #(\d{1,6}))? \]------\s*$/;
const AFFMASK_HEADER = /^CPU#(\d{1,6}) AffMask: 0x[0-9A-Fa-f]{16} ?$/;

type Section = "outside" | "cpu" | "boot-msrs" | "other-msrs";

const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let c = 0; c < 128; c++) {
  const d = parseInt(String.fromCharCode(c), 16);
  if (!Number.isNaN(d)) HEX_DIGIT[c] = d;
}

/** Value of `len` hex digits at `pos`, or -1 if any of them is not a hex digit. */
function hexAt(s: string, pos: number, len: number): number {
  let v = 0;
  for (let i = pos; i < pos + len; i++) {
    const c = s.charCodeAt(i);
    const d = c < 128 ? HEX_DIGIT[c] : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Position of the first non-hex character in s[pos, pos+len) (pos if none). */
function firstBadHex(s: string, pos: number, len: number): number {
  for (let i = pos; i < pos + len; i++) if (hexAt(s, i, 1) < 0) return i;
  return pos;
}

/**
 * `CPUID <token>:` and `MSR <token>:` lines are data lines when the token
 * contains a digit; report header lines ("CPUID Manufacturer: …",
 * "CPUID Revision     : …") never do.
 */
function isDataLine(text: string, tokenAt: number, end: number): boolean {
  let hasDigit = false;
  for (let i = tokenAt; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */) return hasDigit;
    if (c === 32 /* space */) return false;
    if (c >= 48 && c <= 57) hasDigit = true;
  }
  return false;
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, "0");
}

export function parseCpuidDump(text: string, source = DEFAULT_SOURCE): CpuidDump {
  return new DumpParser(text, source).parse();
}

// A class rather than closures: its methods stay the same functions from one
// parse to the next, so optimised code is reused instead of thrown away.
// It walks offsets into the whole text (no per-line strings): `at` is the
// line's first character, `end` the position of its "\n" (or of a "\r"
// before it, or the end of the text). The character at `end` is then no hex
// digit and no separator, so a field check that reads up to or past `end`
// fails there without a separate bound test.
class DumpParser {
  readonly text: string;
  readonly source: string;
  readonly cpus: DumpBlock[] = [];
  readonly cpuIndices = new Set<number>();
  readonly msrs = new Map<number, bigint>();
  section: Section = "outside";
  cpu: DumpBlock | undefined;
  cpuHeaderLine = 0;
  // Dumps list leaves in strictly ascending (leaf, subleaf) order, which rules
  // out duplicates; only blocks that are not get the full check.
  ascending = true;
  prevLeaf = -1;
  prevSubleaf = -1;
  lineNo = 0;
  at = 0;
  end = 0;

  constructor(text: string, source: string) {
    this.text = text;
    this.source = source;
    if (text.charCodeAt(0) === 0xfeff) this.at = 1; // a byte-order mark from a Windows editor
  }

  parse(): CpuidDump {
    const text = this.text;
    while (this.at <= text.length) {
      const at = this.at;
      const nl = text.indexOf("\n", at);
      const lineEnd = nl < 0 ? text.length : nl;
      const end = lineEnd > at && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
      this.end = end;
      this.lineNo++;

      if (text.startsWith("CPUID ", at) && isDataLine(text, at + LEAF_AT, end)) {
        this.registerLine();
      } else if (text.startsWith("------[", at)) {
        this.sectionHeader();
      } else if (text.startsWith("CPU#", at)) {
        const m = AFFMASK_HEADER.exec(text.slice(at, end));
        if (!m) this.fail(at, 'malformed block header (expected "CPU#nnn AffMask: 0x<16 hex digits>")');
        this.openCpu(Number(m[1]));
      } else if (this.section !== "outside" && this.section !== "cpu" && text.startsWith("MSR ", at) && isDataLine(text, at + MSR_INDEX_AT, end)) {
        this.msrLine(this.section === "boot-msrs");
      }
      this.at = lineEnd + 1;
    }
    this.closeCpu();

    if (this.cpus.length === 0) {
      throw new FormatError(
        this.source,
        1,
        1,
        'no logical CPU block found (expected "------[ CPUID Registers / Logical CPU #0 ]------", "------[ Logical CPU #0 ]------" or "CPU#000 AffMask: 0x…")',
      );
    }
    return { cpus: this.cpus, msrs: this.msrs };
  }

  fail(pos: number, message: string): never {
    throw new FormatError(this.source, this.lineNo, pos - this.at + 1, message);
  }

  quotedLine(): string {
    return JSON.stringify(this.text.slice(this.at, Math.min(this.end, this.at + 60)));
  }

  closeCpu(): void {
    const cpu = this.cpu;
    if (!cpu) return;
    if (cpu.size === 0) {
      throw new FormatError(this.source, this.cpuHeaderLine, 1, `CPU #${cpu.index} has no CPUID register lines`);
    }
    if (!this.ascending) checkDuplicates(cpu, this.source);
    this.cpu = undefined;
  }

  openCpu(index: number): void {
    this.closeCpu();
    if (this.cpuIndices.has(index)) this.fail(this.at, `logical CPU #${index} appears twice`);
    this.cpuIndices.add(index);
    this.cpu = new DumpBlock(index);
    this.cpus.push(this.cpu);
    this.cpuHeaderLine = this.lineNo;
    this.section = "cpu";
    this.ascending = true;
    this.prevLeaf = this.prevSubleaf = -1;
  }

  sectionHeader(): void {
    const line = this.text.slice(this.at, this.end);
    const cpuHeader = CPU_SECTION.exec(line);
    if (cpuHeader) return this.openCpu(Number(cpuHeader[1]));
    this.closeCpu();
    const msrHeader = MSR_SECTION.exec(line);
    if (!msrHeader) this.section = "outside";
    else this.section = msrHeader[1] === undefined || Number(msrHeader[1]) === 0 ? "boot-msrs" : "other-msrs";
  }

  registerLine(): void {
    const { text, at, end } = this;
    if (this.section !== "cpu" || !this.cpu) this.fail(at, "CPUID register line outside a logical CPU block");
    const leafAt = at + LEAF_AT;
    const leaf = hexAt(text, leafAt, 8);
    if (leaf < 0 || text.charCodeAt(leafAt + 8) !== 58) {
      this.fail(firstBadHex(text, leafAt, 8), `leaf must be 8 hex digits followed by ":" in ${this.quotedLine()}`);
    }
    if (text.charCodeAt(leafAt + 9) !== 32) this.fail(leafAt + 9, 'expected a space after "CPUID <leaf>:"');
    const regsAt = at + REGS_AT;
    if (end < regsAt + REGS_LENGTH) {
      this.fail(Math.min(end, regsAt + REGS_LENGTH), `register line ends early: expected EAX-EBX-ECX-EDX, 4 × 8 hex digits, in ${this.quotedLine()}`);
    }
    for (let r = 0; r < 3; r++) {
      if (text.charCodeAt(regsAt + r * 9 + 8) !== 45 /* - */) {
        this.fail(regsAt + r * 9 + 8, `expected "-" after ${REGISTER_NAMES[r]} (a register line has EAX-EBX-ECX-EDX)`);
      }
    }
    const eax = hexAt(text, regsAt, 8);
    const ebx = hexAt(text, regsAt + 9, 8);
    const ecx = hexAt(text, regsAt + 18, 8);
    const edx = hexAt(text, regsAt + 27, 8);
    if (Math.min(eax, ebx, ecx, edx) < 0) {
      const bad = [eax, ebx, ecx, edx].findIndex((v) => v < 0);
      this.fail(firstBadHex(text, regsAt + bad * 9, 8), `${REGISTER_NAMES[bad]} must be 8 hex digits`);
    }
    let subleaf: number | null = null;
    const afterEdx = regsAt + REGS_LENGTH;
    if (afterEdx < end) {
      if (text.charCodeAt(afterEdx) !== 32) {
        this.fail(afterEdx, "expected end of line, or a space and an annotation, after EDX (a register line has 4 registers)");
      }
      if (text.startsWith(SUBLEAF_TAG, afterEdx)) {
        const tagAt = afterEdx + SUBLEAF_TAG.length;
        subleaf = hexAt(text, tagAt, 2);
        if (subleaf < 0 || text.charCodeAt(tagAt + 2) !== 93 /* ] */) {
          this.fail(tagAt, 'subleaf tag must be "[SL nn]" with 2 hex digits');
        }
      }
    }
    const sub = subleaf ?? 0;
    if (leaf < this.prevLeaf || (leaf === this.prevLeaf && sub <= this.prevSubleaf)) this.ascending = false;
    this.prevLeaf = leaf;
    this.prevSubleaf = sub;
    this.cpu.add(leaf, subleaf, eax, ebx, ecx, edx, this.lineNo);
  }

  msrLine(keep: boolean): void {
    const { text, at, end } = this;
    const indexAt = at + MSR_INDEX_AT;
    const index = hexAt(text, indexAt, 8);
    if (index < 0 || !text.startsWith(": ", indexAt + 8)) {
      this.fail(firstBadHex(text, indexAt, 8), 'MSR line must be "MSR <8 hex digits>: <value>"');
    }
    const valueAt = at + MSR_VALUE_AT;
    if (text.startsWith(MSR_FAILED, valueAt)) return;
    let hi = 0;
    let lo = 0;
    for (let g = 0; g < 4; g++) {
      const groupAt = valueAt + g * 5;
      const v = hexAt(text, groupAt, 4);
      if (v < 0) this.fail(firstBadHex(text, groupAt, 4), 'MSR value must be "HHHH-HHHH-HHHH-HHHH" or "< FAILED >"');
      const sepAt = groupAt + 4;
      const sepOk = g < 3 ? text.charCodeAt(sepAt) === 45 : sepAt === end || text.charCodeAt(sepAt) === 32;
      if (!sepOk) this.fail(sepAt, 'MSR value must be "HHHH-HHHH-HHHH-HHHH" or "< FAILED >"');
      if (g < 2) hi = hi * 0x10000 + v;
      else lo = lo * 0x10000 + v;
    }
    if (keep && !this.msrs.has(index)) this.msrs.set(index, (BigInt(hi) << 32n) | BigInt(lo));
  }
}

/**
 * The subleaf each line answers: its tag, or for untagged lines 0, 1, 2… in
 * order of repetition (the oldest EVEREST reports print no tags at all).
 */
function answeredSubleaves(leaves: readonly DumpLeaf[]): number[] {
  const untaggedSeen = new Map<number, number>();
  return leaves.map((l) => {
    if (l.subleaf !== null) return l.subleaf;
    const n = untaggedSeen.get(l.leaf) ?? 0;
    untaggedSeen.set(l.leaf, n + 1);
    return n;
  });
}

// Keys (leaf, subleaf) into one number; subleaves stay far below 2^21.
const SUBLEAF_SPAN = 2 ** 21;

function checkDuplicates(cpu: DumpCpu, source: string): void {
  // Repeated untagged lines only mean "next subleaf" in reports without tags.
  const tagged = cpu.leaves.some((l) => l.subleaf !== null);
  const subleaves = answeredSubleaves(cpu.leaves);
  const firstLine = new Map<number, number>();
  cpu.leaves.forEach((l, i) => {
    const sub = tagged && l.subleaf === null ? 0 : subleaves[i];
    const key = l.leaf * SUBLEAF_SPAN + sub;
    const first = firstLine.get(key);
    if (first !== undefined) {
      throw new FormatError(
        source,
        l.line,
        LEAF_AT + 1,
        `CPU #${cpu.index}: leaf ${hex(l.leaf)} subleaf ${sub} already given on line ${first}`,
      );
    }
    firstLine.set(key, l.line);
  });
}

/**
 * CPUID as the dumped CPU answered it. Untagged lines answer subleaf 0
 * (repeats: 1, 2, …); NO_SUBLEAF is read as subleaf 0. Leaves the dump does
 * not contain give undefined ("not dumped", not necessarily all-zero).
 */
export function cpuidQuery(cpu: DumpCpu): (leaf: number, subleaf: number) => Regs | undefined {
  const byKey = new Map<number, Regs>();
  const subleaves = answeredSubleaves(cpu.leaves);
  cpu.leaves.forEach((l, i) => {
    const key = l.leaf * SUBLEAF_SPAN + subleaves[i];
    if (!byKey.has(key)) byKey.set(key, { eax: l.eax, ebx: l.ebx, ecx: l.ecx, edx: l.edx });
  });
  return (leaf, subleaf) => {
    const sub = subleaf === NO_SUBLEAF ? 0 : subleaf;
    if (sub < 0 || sub >= SUBLEAF_SPAN) return undefined;
    const r = byKey.get((leaf >>> 0) * SUBLEAF_SPAN + sub);
    return r && { eax: r.eax, ebx: r.ebx, ecx: r.ecx, edx: r.edx };
  };
}

/** The boot CPU (#0; the lowest-numbered block if #0 is missing). On hybrid parts its core type's leaves. */
export function bootCpu(dump: CpuidDump): DumpCpu {
  let boot = dump.cpus[0];
  for (const c of dump.cpus) if (c.index < boot.index) boot = c;
  return boot;
}
