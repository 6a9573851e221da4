import { describe, expect, it } from "vitest";
import { bootCpu, cpuidQuery, parseCpuidDump, type CpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import { NO_SUBLEAF } from "../../../shared/policy/cpu-policy.ts";
import { cpuidDumpFixtures } from "../../../devenv/fixtures.ts";
import { expectFormatError } from "./expect-format-error.ts";

const fixtures = new Map(cpuidDumpFixtures());
// Parsed inside each test, not while the file is collected: a mutation run
// activates its mutant only while tests run.
const dump = (name: string): CpuidDump => parseCpuidDump(fixtures.get(name)!, name);
const boot = (name: string) => cpuidQuery(bootCpu(dump(name)));

const parseError = (text: string) => expectFormatError(() => parseCpuidDump(text, "t.txt"));

describe("CPUID dump parser", () => {
  it("parses every dump fixture, with leaf 0 on every logical CPU", () => {
    expect(fixtures.size).toBe(17);
    for (const name of fixtures.keys()) {
      const d = dump(name);
      expect(d.cpus.length, name).toBeGreaterThan(0);
      for (const cpu of d.cpus) expect(cpuidQuery(cpu)(0, 0), `${name} CPU #${cpu.index}`).toBeDefined();
    }
  });

  it("reads the logical CPU numbers of each variant", () => {
    expect(dump("amd/bergamo-epyc-9754.txt").cpus.length).toBe(256);
    expect(dump("intel/cascadelake-sp-xeon-platinum-8280.txt").cpus.map((c) => c.index)).toEqual([...Array(56).keys()]);
    expect(dump("amd/shanghai-opteron-2378-2s.txt").cpus.length).toBe(8);
  });

  it("variant A: tagged and untagged lines (Genoa, Haswell)", () => {
    const genoa = boot("amd/genoa-epyc-9124.txt");
    expect(genoa(7, 0)).toEqual({ eax: 0x00000001, ebx: 0xf1bf97a9, ecx: 0x00415fce, edx: 0x10000010 });
    expect(genoa(7, 1)?.eax).toBe(0x20);
    expect(genoa(7, 2)).toBeUndefined();
    expect(genoa(8, 0)).toEqual({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
    expect(boot("intel/haswell-ep-xeon-e5-2699v3.txt")(1, 0)?.eax).toBe(0x000306f2);
  });

  it("variant A with a report header: header lines starting with CPUID are not register lines", () => {
    const haswell = bootCpu(dump("intel/haswell-ep-xeon-e5-2699v3.txt"));
    expect(haswell.leaves[0]).toMatchObject({ leaf: 0, subleaf: null });
    expect(haswell.leaves.every((l) => l.line > 1)).toBe(true);
  });

  it("variant B: untagged leaf 7 answers subleaf 0 (Naples)", () => {
    const naples = bootCpu(dump("amd/naples-epyc-7551p.txt"));
    expect(naples.leaves.find((l) => l.leaf === 7)).toMatchObject({ subleaf: null, ebx: 0x209c01a9, line: 11 });
    const q = cpuidQuery(naples);
    expect(q(7, 0)?.ebx).toBe(0x209c01a9);
    expect(q(7, NO_SUBLEAF)?.ebx).toBe(0x209c01a9);
    expect(q(7, 1)).toBeUndefined();
  });

  it("variant B, oldest EVEREST: no tags, no annotations (Shanghai)", () => {
    const d = dump("amd/shanghai-opteron-2378-2s.txt");
    expect(d.cpus.every((c) => c.leaves.every((l) => l.subleaf === null))).toBe(true);
    const q = boot("amd/shanghai-opteron-2378-2s.txt");
    expect(q(0, 0)).toEqual({ eax: 5, ebx: 0x68747541, ecx: 0x444d4163, edx: 0x69746e65 });
    expect(q(0x80000001, 0)?.edx).toBe(0xefd3fbff);
  });

  it("variant C: AffMask blocks, trailing-space untagged lines (Cascade Lake)", () => {
    const q = boot("intel/cascadelake-sp-xeon-platinum-8280.txt");
    expect(q(0, 0)?.eax).toBe(0x16);
    expect(q(1, 0)).toEqual({ eax: 0x00050657, ebx: 0x00400800, ecx: 0x7ffefbff, edx: 0xbfebfbff });
    expect(q(0x80000008, 0)?.eax).toBe(0x302e);
    expect(dump("intel/cascadelake-sp-xeon-platinum-8280.txt").msrs.size).toBe(0);
  });

  it("hybrid Alder Lake: the boot CPU is a P-core, CPU #16 an E-core", () => {
    const d = dump("intel/alderlake-s-core-i9-12900k-hybrid.txt");
    expect(bootCpu(d).index).toBe(0);
    expect(boot("intel/alderlake-s-core-i9-12900k-hybrid.txt")(0x1a, 0)?.eax).toBe(0x40000001);
    expect(cpuidQuery(d.cpus.find((c) => c.index === 16)!)(0x1a, 0)?.eax).toBe(0x20000001);
  });

  it("Centaur extended range is kept", () => {
    expect(boot("centaur/zhaoxin-kh-40000.txt")(0xc0000000, 0)?.eax).toBe(0xc0000005);
  });

  it("reads the boot CPU's MSRs: first sample, failed reads absent", () => {
    const icelake = dump("intel/icelake-sp-xeon-platinum-8351n.txt").msrs;
    expect(icelake.get(0x10a)).toBe(0x1ebn);
    expect(icelake.get(0xce)).toBe(0x0008082df2811800n);
    expect(icelake.get(0xe7)).toBe(0x0000007e31aed100n);
    expect(icelake.has(0x49)).toBe(false);
    expect(dump("intel/sapphirerapids-xeon-w7-2475x.txt").msrs.get(0x10a)).toBe(0x28fdebn);
    const haswell = dump("intel/haswell-ep-xeon-e5-2699v3.txt").msrs;
    expect(haswell.has(0x10a)).toBe(false);
    expect(haswell.has(0xce)).toBe(true);
  });

  it("serialises a CPU block with its leaves", () => {
    const cpu = bootCpu(dump("amd/genoa-epyc-9124.txt"));
    const json = JSON.parse(JSON.stringify(cpu));
    expect(json.index).toBe(0);
    expect(json.leaves).toEqual(cpu.leaves);
  });

  it("accepts a byte-order mark", () => {
    const text = fixtures.get("intel/cascadelake-sp-xeon-platinum-8280.txt")!;
    expect(cpuidQuery(bootCpu(parseCpuidDump("\ufeff" + text)))(0, 0)?.eax).toBe(0x16);
  });

  it("accepts CRLF line endings", () => {
    const text = fixtures.get("amd/genoa-epyc-9124.txt")!;
    const crlf = parseCpuidDump(text.replace(/\n/g, "\r\n"));
    expect(cpuidQuery(bootCpu(crlf))(7, 1)?.eax).toBe(0x20);
  });
});

describe("CPUID dump errors", () => {
  const block = (...lines: string[]) => ["------[ Logical CPU #0 ]------", "", ...lines, ""].join("\n");

  it("bad hex in the leaf names line and column", () => {
    const e = parseError(block("CPUID 0000000X: 00000001-00000002-00000003-00000004"));
    expect(e).toMatchObject({ line: 3, column: 14 });
    expect(e.message).toContain("t.txt:3:14");
  });

  it("bad hex in a register", () => {
    expect(parseError(block("CPUID 00000001: 00000001-0000G002-00000003-00000004"))).toMatchObject({ line: 3, column: 30 });
  });

  it("too few and too many register fields", () => {
    expect(parseError(block("CPUID 00000001: 00000001-00000002-00000003"))).toMatchObject({ line: 3, column: 43 });
    expect(parseError(block("CPUID 00000001: 00000001-00000002-00000003-00000004-00000005"))).toMatchObject({ line: 3, column: 52 });
  });

  it("a malformed subleaf tag", () => {
    expect(parseError(block("CPUID 00000007: 00000001-00000002-00000003-00000004 [SL 0Z]"))).toMatchObject({ line: 3, column: 57 });
  });

  it("a duplicate (leaf, subleaf) in one CPU block", () => {
    const e = parseError(
      block(
        "CPUID 00000007: 00000001-00000002-00000003-00000004 [SL 00]",
        "CPUID 00000007: 00000001-00000002-00000003-00000004 [SL 00]",
      ),
    );
    expect(e).toMatchObject({ line: 4, column: 7 });
    expect(e.message).toContain("line 3");
  });

  it("a repeated untagged leaf is a duplicate where lines are tagged, the next subleaf where none are", () => {
    const lines = ["CPUID 00000004: 00000001-00000002-00000003-00000004", "CPUID 00000004: 00000005-00000006-00000007-00000008"];
    expect(parseError(block(...lines, "CPUID 00000007: 00000001-00000002-00000003-00000004 [SL 00]"))).toMatchObject({ line: 4 });
    const q = cpuidQuery(bootCpu(parseCpuidDump(block(...lines))));
    expect(q(4, 0)?.eax).toBe(1);
    expect(q(4, 1)?.eax).toBe(5);
  });

  it("a register line outside any CPU block", () => {
    const e = parseError("CPUID 00000000: 00000001-00000002-00000003-00000004\n");
    expect(e.message).toBe("t.txt:1:1: CPUID register line outside a logical CPU block");
    const afterBlock = block("CPUID 00000000: 00000001-00000002-00000003-00000004") + "------[ All CPUs ]------\nCPUID 00000001: 00000001-00000002-00000003-00000004\n";
    expect(parseError(afterBlock).message).toBe("t.txt:5:1: CPUID register line outside a logical CPU block");
  });

  it("no CPU block at all", () => {
    expect(parseError("------[ Versions ]------\n\nProgram Version : AIDA64\n").message).toContain("no logical CPU block");
    expect(parseError("").message).toContain("no logical CPU block");
  });

  it("a CPU block without register lines, and a CPU number given twice", () => {
    expect(parseError("------[ Logical CPU #0 ]------\n\nallcpu: Valid\n")).toMatchObject({ line: 1 });
    const twice = block("CPUID 00000000: 00000001-00000002-00000003-00000004") + block("CPUID 00000000: 00000001-00000002-00000003-00000004");
    expect(parseError(twice).message).toContain("#0 appears twice");
  });

  it("malformed MSR values in the MSR section", () => {
    const text = block("CPUID 00000000: 00000001-00000002-00000003-00000004") + "------[ MSR Registers ]------\nMSR 0000010A: 0000-0000-00X0-01EB\n";
    expect(parseError(text)).toMatchObject({ line: 5, column: 27 });
  });
});
