// The CPUID dump parser line by line: every malformed register, MSR and
// block header line gives its own message at its own column, MSR sections
// of other CPUs are not read, and the query answers only what was dumped.

import { describe, expect, it } from "vitest";
import { bootCpu, cpuidQuery, parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import { expectFormatError } from "./expect-format-error.ts";

const LINE = "CPUID 00000001: 00000011-00000022-00000033-00000044";
/** A dump of one block (#0) whose register lines start on line 3. */
const block = (...lines: string[]) => ["------[ Logical CPU #0 ]------", "", ...lines, ""].join("\n");
const parseError = (text: string) => expectFormatError(() => parseCpuidDump(text, "t.txt"));

describe("CPUID register lines", () => {
  // columns: leaf 7–14, ":" 15, space 16, EAX 17–24, "-" 25, EBX 26–33, "-" 34, ECX 35–42, "-" 43, EDX 44–51
  it.each([
    ["a ninth leaf digit", "CPUID 000000011: 00000011-00000022-00000033-00000044", 7, 'leaf must be 8 hex digits followed by ":" in "CPUID 000000011: 00000011-00000022-00000033-00000044"'],
    ["no space after the colon", "CPUID 00000001:00000011-00000022-00000033-00000044", 16, 'expected a space after "CPUID <leaf>:"'],
    ["a line ending after EAX", "CPUID 00000001: 00000011", 25, "register line ends early: expected EAX-EBX-ECX-EDX, 4 × 8 hex digits, in \"CPUID 00000001: 00000011\""],
    ["no dash after EAX", "CPUID 00000001: 00000011+00000022-00000033-00000044", 25, 'expected "-" after EAX (a register line has EAX-EBX-ECX-EDX)'],
    ["no dash after EBX", "CPUID 00000001: 00000011-00000022+00000033-00000044", 34, 'expected "-" after EBX (a register line has EAX-EBX-ECX-EDX)'],
    ["no dash after ECX", "CPUID 00000001: 00000011-00000022-00000033+00000044", 43, 'expected "-" after ECX (a register line has EAX-EBX-ECX-EDX)'],
    ["bad hex in EBX after an EAX of 0", "CPUID 00000001: 00000000-0000G022-00000033-00000044", 30, "EBX must be 8 hex digits"],
    ["bad hex in EAX", "CPUID 00000001: 0000001X-00000022-00000033-00000044", 24, "EAX must be 8 hex digits"],
    ["bad hex in ECX and EDX: the first is named", "CPUID 00000001: 00000011-00000022-0000003X-0000004X", 42, "ECX must be 8 hex digits"],
    ["bad hex at the end of EDX", "CPUID 00000001: 00000011-00000022-00000033-0000004G", 51, "EDX must be 8 hex digits"],
    ["a non-ASCII digit", "CPUID 00000001: 0000001é-00000022-00000033-00000044", 24, "EAX must be 8 hex digits"],
    ["U+0080, just past ASCII", "CPUID 00000001: 00000011-00000022-0000003\u0080-00000044", 42, "ECX must be 8 hex digits"],
    ["text straight after EDX", "CPUID 00000001: 00000011-00000022-00000033-00000044[SL 00]", 52, "expected end of line, or a space and an annotation, after EDX (a register line has 4 registers)"],
    ["an unclosed subleaf tag at the end of the line", "CPUID 00000001: 00000011-00000022-00000033-00000044 [SL 01", 57, 'subleaf tag must be "[SL nn]" with 2 hex digits'],
    ["a three-digit subleaf", "CPUID 00000001: 00000011-00000022-00000033-00000044 [SL 001]", 57, 'subleaf tag must be "[SL nn]" with 2 hex digits'],
  ])("%s", (_what, line, column, message) => {
    const e = parseError(block(line));
    expect([e.line, e.column]).toEqual([3, column]);
    expect(e.message).toBe(`t.txt:3:${column}: ${message}`);
  });

  it("quotes at most 60 characters of a bad line", () => {
    const line = `CPUID 0000000100: ${"00000011-".repeat(6)}`;
    expect(parseError(block(line)).message).toBe(`t.txt:3:7: leaf must be 8 hex digits followed by ":" in ${JSON.stringify(line.slice(0, 60))}`);
  });

  it("reads two-digit hex subleaf tags, and annotations of any kind", () => {
    const cpu = bootCpu(
      parseCpuidDump(
        block(
          "CPUID 00000004: 00000001-00000000-00000000-00000000 [SL 1F]",
          "CPUID 00000006: 00000002-00000000-00000000-00000000 [SL 00] [Thermal]",
          "CPUID 80000006: 00000000-00000000-08007040-00000000 [L2: 2048 KB] / L3: 0 KB]",
          "CPUID 80000007: 00000003-00000000-00000000-00000000 ",
        ),
      ),
    );
    expect(cpu.leaves.map((l) => [l.leaf, l.subleaf, l.line])).toEqual([
      [4, 0x1f, 3],
      [6, 0, 4],
      [0x80000006, null, 5],
      [0x80000007, null, 6],
    ]);
    expect(cpuidQuery(cpu)(0x80000006, 0)?.ecx).toBe(0x08007040);
  });

  it("a CPUID line is data only when its token up to the colon has a digit", () => {
    const cpu = bootCpu(
      parseCpuidDump(
        block(
          "CPUID Revision     : 000306F2h", // header lines of variant A reports
          "CPUID Version 2   : 1", // a space ends the token before the colon
          "CPUID Manufacturer: CentaurHauls", // no digit, as in the variant A header of zhaoxin-kh-40000.txt
          "CPUID 12345", // no colon at all
          "CPUID FFFFFFF9: 00000011-00000022-00000033-00000044", // 9 is a digit
        ),
      ),
    );
    expect(cpu.leaves.map((l) => [l.leaf, l.line])).toEqual([[0xfffffff9, 7]]);
  });

  it("reads the last line of a dump without a final newline", () => {
    const q = cpuidQuery(bootCpu(parseCpuidDump(`------[ Logical CPU #0 ]------\n${LINE}`)));
    expect(q(1, 0)).toEqual({ eax: 0x11, ebx: 0x22, ecx: 0x33, edx: 0x44 });
  });

  it("reads a dump that starts with a blank line, counting it", () => {
    const cpu = bootCpu(parseCpuidDump(`\n------[ Logical CPU #0 ]------\n${LINE}\n`));
    expect(cpu.leaves.map((l) => [l.leaf, l.eax, l.line])).toEqual([[1, 0x11, 3]]);
  });

  it("builds a block's leaves once: every read gives the same array", () => {
    const cpu = bootCpu(parseCpuidDump(block(LINE)));
    expect(cpu.leaves).toBe(cpu.leaves);
  });

  it("keeps every line of a block far longer than the first buffer", () => {
    const lines = [...Array(300).keys()].map((i) => `CPUID ${i.toString(16).toUpperCase().padStart(8, "0")}: ${(i + 1).toString(16).toUpperCase().padStart(8, "0")}-00000000-00000000-00000000`);
    const cpu = bootCpu(parseCpuidDump(block(...lines)));
    expect(cpu.leaves.length).toBe(300);
    const q = cpuidQuery(cpu);
    for (let i = 0; i < 300; i++) expect(q(i, 0)?.eax, `leaf ${i}`).toBe(i + 1);
  });
});

describe("CPUID dump blocks", () => {
  it("a malformed AffMask block header", () => {
    const e = parseError(`CPU#000 AffMask: 0x0000000000000001\n${LINE}\nCPU#1 AffMask: 0x2\n${LINE}\n`);
    expect(e.message).toBe('t.txt:3:1: malformed block header (expected "CPU#nnn AffMask: 0x<16 hex digits>")');
  });

  it("an empty block is reported at its own header line", () => {
    const e = parseError(`------[ Versions ]------\n\n------[ Logical CPU #5 ]------\n\n------[ All CPUs ]------\n${LINE}\n`);
    expect(e.message).toBe("t.txt:3:1: CPU #5 has no CPUID register lines");
  });

  it("a duplicate is found anywhere in the block, and named with its CPU, leaf and subleaf", () => {
    const e = parseError(
      `------[ Logical CPU #3 ]------\n${LINE}\n` +
        [
          "CPUID 0000000B: 00000001-00000002-00000003-00000004 [SL 01]",
          "CPUID 0000000D: 00000001-00000002-00000003-00000004",
          "CPUID 0000000B: 00000001-00000002-00000003-00000004 [SL 01]",
        ].join("\n"),
    );
    expect(e.message).toBe("t.txt:5:7: CPU #3: leaf 0000000B subleaf 1 already given on line 3");
  });

  it("an empty block, or a duplicate, is reported when the next CPU block starts", () => {
    const empty = parseError(`------[ Logical CPU #0 ]------\n\n------[ Logical CPU #1 ]------\n${LINE}\n`);
    expect(empty.message).toBe("t.txt:1:1: CPU #0 has no CPUID register lines");
    const tagged = `${LINE} [SL 00]`;
    const twice = parseError(`CPU#000 AffMask: 0x0000000000000001\n${tagged}\n${tagged}\nCPU#001 AffMask: 0x0000000000000002\n${LINE}\n`);
    expect(twice.message).toBe("t.txt:3:7: CPU #0: leaf 00000001 subleaf 0 already given on line 2");
  });

  it("leaves out of order are told apart by leaf and subleaf (0x200000 subleaf 0 is not 0 subleaf 1)", () => {
    const cpu = bootCpu(
      parseCpuidDump(block("CPUID 00200000: 00000001-00000000-00000000-00000000 [SL 00]", "CPUID 00000000: 00000002-00000000-00000000-00000000 [SL 01]")),
    );
    const q = cpuidQuery(cpu);
    expect([q(0x200000, 0)?.eax, q(0, 1)?.eax]).toEqual([1, 2]);
  });

  it("an untagged line answers subleaf 0 where other lines are tagged", () => {
    const e = parseError(block("CPUID 00000007: 00000001-00000002-00000003-00000004", "CPUID 00000007: 00000001-00000002-00000003-00000004 [SL 00]"));
    expect(e.message).toBe("t.txt:4:7: CPU #0: leaf 00000007 subleaf 0 already given on line 3");
  });

  it("the boot CPU is the lowest-numbered block when #0 is missing", () => {
    const d = parseCpuidDump(`CPU#003 AffMask: 0x0000000000000008\n${LINE}\nCPU#001 AffMask: 0x0000000000000002\n${LINE}\nCPU#002 AffMask: 0x0000000000000004\n${LINE}\n`);
    expect(d.cpus.map((c) => c.index)).toEqual([3, 1, 2]);
    expect(bootCpu(d).index).toBe(1);
  });
});

describe("CPUID dump queries", () => {
  const q = cpuidQuery(
    bootCpu(parseCpuidDump(block("CPUID 00000007: 00000001-00000002-00000003-00000004 [SL 00]", "CPUID 00000008: 00000005-00000006-00000007-00000008"))),
  );

  it("a subleaf outside the key's range is not dumped, not another leaf's", () => {
    expect(q(8, 0)?.eax).toBe(5);
    expect(q(7, 2 ** 21)).toBeUndefined();
    expect(q(8, -1)).toBeUndefined();
    expect(q(8, -(2 ** 21))).toBeUndefined();
  });

  it("answers a copy: changing it changes nothing in the dump", () => {
    q(7, 0)!.eax = 0xdead;
    expect(q(7, 0)).toEqual({ eax: 1, ebx: 2, ecx: 3, edx: 4 });
  });
});

describe("MSR sections", () => {
  const msrs = (...sections: string[]) => parseCpuidDump(block(LINE) + sections.join(""), "t.txt").msrs;

  it("reads CPU #0's section, first sample of each MSR; not other CPUs' sections, nor MSR lines outside one", () => {
    const m = msrs(
      "------[ MSR Registers / Logical CPU #1 ]------\nMSR 00000010: 0000-0000-0000-0001\nMSR 00000011: 0000-0000-0000-0001\n",
      "------[ MSR Registers / Logical CPU #0 ]------\nMSR 00000010: 1234-5678-9ABC-DEF0 [S200]\nMSR 00000010: 0000-0000-0000-0002\nMSR 00000012: < FAILED >\n",
      "------[ All CPUs ]------\nMSR 00000013: 0000-0000-0000-0001\nMSR 00000014: not an MSR value\n",
    );
    expect([...m]).toEqual([[0x10, 0x123456789abcdef0n]]);
  });

  it("reads MSR 0", () => {
    expect([...msrs("------[ MSR Registers ]------\nMSR 00000000: 0000-0000-0000-0001\n")]).toEqual([[0, 1n]]);
  });

  it("reads no MSR line before the first section, and only lines starting \"MSR \" in a section", () => {
    const d = parseCpuidDump(`MSR 00000010: not an MSR value\n${block(LINE)}------[ MSR Registers ]------\nCPU Clock1: 1777 MHz\nPMC 00000010: 0000-0000-0000-0001\n`);
    expect(d.msrs.size).toBe(0);
  });

  it("reads a section without a CPU number as the boot CPU's", () => {
    expect([...msrs("------[ MSR Registers ]------\nMSR C0010015: 0000-0000-0100-0010\n")]).toEqual([[0xc0010015, 0x01000010n]]);
  });

  // columns: index 5–12, ": " 13–14, groups 15–18, 20–23, 25–28, 30–33
  it.each([
    ["a ninth index digit", "MSR 000000101: 0000-0000-0000-0001", 5, 'MSR line must be "MSR <8 hex digits>: <value>"'],
    ["bad hex in the index", "MSR 0000001X: 0000-0000-0000-0001", 12, 'MSR line must be "MSR <8 hex digits>: <value>"'],
    ["no space after the colon", "MSR 00000010:0000-0000-0000-0001", 5, 'MSR line must be "MSR <8 hex digits>: <value>"'],
    ["bad hex in the first group", "MSR 00000010: 000X-0000-0000-0001", 18, 'MSR value must be "HHHH-HHHH-HHHH-HHHH" or "< FAILED >"'],
    ["a wrong separator", "MSR 00000010: 0000+0000-0000-0001", 19, 'MSR value must be "HHHH-HHHH-HHHH-HHHH" or "< FAILED >"'],
    ["three groups", "MSR 00000010: 0000-0000-0000", 29, 'MSR value must be "HHHH-HHHH-HHHH-HHHH" or "< FAILED >"'],
    ["a short last group", "MSR 00000010: 0000-0000-0000-001", 33, 'MSR value must be "HHHH-HHHH-HHHH-HHHH" or "< FAILED >"'],
    ["text straight after the value", "MSR 00000010: 0000-0000-0000-0001X", 34, 'MSR value must be "HHHH-HHHH-HHHH-HHHH" or "< FAILED >"'],
  ])("%s, in any CPU's section", (_what, line, column, message) => {
    for (const header of ["------[ MSR Registers ]------", "------[ MSR Registers / Logical CPU #7 ]------"]) {
      const e = parseError(`${block(LINE)}${header}\n${line}\n`);
      expect(e.message).toBe(`t.txt:5:${column}: ${message}`);
    }
  });

  it("a short last group at the very end of the text", () => {
    expect(parseError(`${block(LINE)}------[ MSR Registers ]------\nMSR 00000010: 0000-0000-0000-001`).column).toBe(33);
  });
});
