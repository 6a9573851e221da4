// Parser for `xen-cpuid -p` output (system mode: Raw, Host, PV/HVM Max and
// Default; domain mode: "Domain <id> policy"). xen-cpuid omits all-zero
// leaves, so each policy is rebuilt by merging the printed records into an
// empty policy, which restores the zeros. Output pasted from a mail or a bug
// report is often indented or quoted ("> "): a prefix common to every line
// is taken off first, and error columns still count from the real line start.

import { emptyPolicy, type CpuPolicy } from "../policy/cpu-policy.ts";
import { deserialisePolicy, PolicyFormatError, type LeafRecord, type MsrRecord } from "../policy/serialise.ts";
import { FormatError } from "./format-error.ts";

export type XenPolicyName = "raw" | "host" | "pv_max" | "hvm_max" | "pv_default" | "hvm_default";

export interface XenCpuidPolicyBlock {
  /** "raw", "host", …, or "domain:<id>" */
  name: XenPolicyName | `domain:${number}`;
  /** number of serialised leaves/MSRs Xen reported (including unprinted zero leaves) */
  reportedLeaves: number;
  reportedMsrs: number;
  leaves: LeafRecord[];
  msrs: MsrRecord[];
  policy: CpuPolicy;
}

export interface XenCpuidPolicyOutput {
  maxLeaves?: number;
  maxMsrs?: number;
  blocks: XenCpuidPolicyBlock[];
}

const SYSTEM_NAMES: Record<string, XenPolicyName> = {
  Raw: "raw",
  Host: "host",
  "PV Max": "pv_max",
  "HVM Max": "hvm_max",
  "PV Default": "pv_default",
  "HVM Default": "hvm_default",
};

const MAX_LINE = /^Xen reports there are maximum (\d+) leaves and (\d+) MSRs\s*$/;
const POLICY_LINE = /^(Raw|Host|PV Max|HVM Max|PV Default|HVM Default|Domain (\d+)) policy: (\d+) leaves, (\d+) MSRs\s*$/;
const LEAF_LINE = /^\s+([0-9a-f]{8}):([0-9a-f]{8}) -> ([0-9a-f]{8}):([0-9a-f]{8}):([0-9a-f]{8}):([0-9a-f]{8})\s*$/;
const MSR_LINE = /^\s+([0-9a-f]{8}) -> ([0-9a-f]{16})\s*$/;
const IGNORED = /^\s*(CPUID:|MSRs:|leaf\s+subleaf\s+->.*|index\s+->\s+value)?\s*$/;
const UNSUPPORTED = /^(.*) policy not supported by Xen\s*$|^Failed to /;

/** Cheap content sniff used to tell this format from a CPUID dump. */
export function looksLikeXenCpuidPolicy(text: string): boolean {
  return /^[ \t>]*(Xen reports there are maximum|(Raw|Host|Domain \d+) policy: \d+ leaves)/m.test(text);
}

const QUOTE = /^[ \t]*((?:>[ \t]?)*)/;

/**
 * The lines without the paste's prefix: the quote markers (as many ">" as
 * the first non-blank line has) and then the indentation of the first
 * non-blank line, which in real output is a header starting at column 1.
 */
function unpaste(text: string, source: string): { lines: string[]; offsets: number[] } {
  const raw = text.split("\n").map((l) => l.replace(/\r$/, ""));
  const depthOf = (l: string) => (QUOTE.exec(l)![1].match(/>/g) ?? []).length;
  const first = raw.findIndex((l) => l.replace(/[\s>]/g, "") !== "");
  const depth = first < 0 ? 0 : depthOf(raw[first]);
  const unquoted = raw.map((l, i) => {
    if (depth === 0) return { text: l, offset: 0 };
    const m = QUOTE.exec(l)!;
    const d = depthOf(l);
    if (d !== depth && l.replace(/[\s>]/g, "") !== "") {
      throw new FormatError(source, i + 1, 1, `quoted with ${d} ">" where line ${first + 1} has ${depth}: a pasted xen-cpuid -p output must be quoted alike throughout`);
    }
    return { text: l.slice(m[0].length), offset: m[0].length };
  });
  const indent = first < 0 ? "" : /^[ \t]*/.exec(unquoted[first].text)![0];
  return {
    lines: unquoted.map((u, i) => {
      if (u.text.startsWith(indent)) return u.text.slice(indent.length);
      if (u.text.trim() === "") return "";
      throw new FormatError(source, i + 1, 1, `indented less than line ${first + 1}: a pasted xen-cpuid -p output must be indented alike throughout`);
    }),
    offsets: unquoted.map((u) => u.offset + indent.length),
  };
}

export function parseXenCpuidPolicy(text: string, source = "xen-cpuid -p"): XenCpuidPolicyOutput {
  const out: XenCpuidPolicyOutput = { blocks: [] };
  let current: XenCpuidPolicyBlock | undefined;
  let inMsrs = false;
  const { lines, offsets } = unpaste(text, source);
  const error = (lineNo: number, column: number, message: string) => new FormatError(source, lineNo, column + offsets[lineNo - 1], message);
  const finish = (lineNo: number) => {
    if (!current) return;
    try {
      current.policy = deserialisePolicy({ leaves: current.leaves, msrs: current.msrs }, emptyPolicy());
    } catch (e) {
      if (e instanceof PolicyFormatError) throw error(lineNo, 1, `${current.name} policy: ${e.message}`);
      throw e;
    }
  };
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    let m: RegExpMatchArray | null;
    if ((m = line.match(MAX_LINE))) {
      out.maxLeaves = Number(m[1]);
      out.maxMsrs = Number(m[2]);
    } else if ((m = line.match(POLICY_LINE))) {
      finish(lineNo - 1);
      const name = m[2] !== undefined ? (`domain:${Number(m[2])}` as const) : SYSTEM_NAMES[m[1]];
      if (out.blocks.some((b) => b.name === name)) throw error(lineNo, 1, `${m[1]} policy appears twice`);
      current = { name, reportedLeaves: Number(m[3]), reportedMsrs: Number(m[4]), leaves: [], msrs: [], policy: emptyPolicy() };
      out.blocks.push(current);
      inMsrs = false;
    } else if ((m = line.match(LEAF_LINE))) {
      if (!current || inMsrs) throw error(lineNo, 1, "CPUID leaf line outside a policy's CPUID section");
      current.leaves.push({
        leaf: parseInt(m[1], 16) >>> 0,
        subleaf: parseInt(m[2], 16) >>> 0,
        eax: parseInt(m[3], 16) >>> 0,
        ebx: parseInt(m[4], 16) >>> 0,
        ecx: parseInt(m[5], 16) >>> 0,
        edx: parseInt(m[6], 16) >>> 0,
      });
    } else if ((m = line.match(MSR_LINE))) {
      if (!current || !inMsrs) throw error(lineNo, 1, "MSR line outside a policy's MSRs section");
      current.msrs.push({ index: parseInt(m[1], 16) >>> 0, flags: 0, value: BigInt(`0x${m[2]}`) });
    } else if (/^\s*MSRs:\s*$/.test(line)) {
      if (!current) throw error(lineNo, 1, "MSRs section before any policy header");
      inMsrs = true;
    } else if (IGNORED.test(line) || UNSUPPORTED.test(line)) {
      // headers, blank lines and "not supported" notes carry no data
    } else {
      const col = line.search(/\S/) + 1;
      throw error(lineNo, col, `unrecognised line in xen-cpuid -p output: ${JSON.stringify(line.slice(0, 80))}`);
    }
  });
  finish(lines.length);
  if (out.blocks.length === 0) throw new FormatError(source, 1, 1, "no policy found (expected lines like \"Host policy: 41 leaves, 2 MSRs\")");
  return out;
}
