// The 19 featureset words and where each lives in a CPU policy.

export type Register = "eax" | "ebx" | "ecx" | "edx";

export type WordSource =
  | { kind: "cpuid"; leaf: number; subleaf: number | null; register: Register }
  | { kind: "msr"; index: number; half: "lo" | "hi" };

export interface WordInfo {
  index: number;
  /** xen-cpuid's abbreviation, e.g. "7b0" */
  abbrev: string;
  /** xen-cpuid detail's source name, e.g. "CPUID 0x00000007:0.ebx" */
  sourceName: string;
  source: WordSource;
}

export const FEATURESET_WORDS = 19;
export const MSR_PLATFORM_INFO = 0xce;
export const MSR_ARCH_CAPABILITIES = 0x10a;

const cpuid = (leaf: number, subleaf: number | null, register: Register): WordSource => ({
  kind: "cpuid",
  leaf,
  subleaf,
  register,
});

const hex8 = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

function sourceName(s: WordSource): string {
  if (s.kind === "msr") return `MSR_ARCH_CAPS.${s.half}`;
  return `CPUID ${hex8(s.leaf)}${s.subleaf === null ? "" : `:${s.subleaf}`}.${s.register}`;
}

const WORD_TABLE: ReadonlyArray<readonly [string, WordSource]> = [
  ["1d", cpuid(0x1, null, "edx")],
  ["1c", cpuid(0x1, null, "ecx")],
  ["e1d", cpuid(0x80000001, null, "edx")],
  ["e1c", cpuid(0x80000001, null, "ecx")],
  ["Da1", cpuid(0xd, 1, "eax")],
  ["7b0", cpuid(0x7, 0, "ebx")],
  ["7c0", cpuid(0x7, 0, "ecx")],
  ["e7d", cpuid(0x80000007, null, "edx")],
  ["e8b", cpuid(0x80000008, null, "ebx")],
  ["7d0", cpuid(0x7, 0, "edx")],
  ["7a1", cpuid(0x7, 1, "eax")],
  ["e21a", cpuid(0x80000021, null, "eax")],
  ["7b1", cpuid(0x7, 1, "ebx")],
  ["7d2", cpuid(0x7, 2, "edx")],
  ["7c1", cpuid(0x7, 1, "ecx")],
  ["7d1", cpuid(0x7, 1, "edx")],
  ["m10Al", { kind: "msr", index: MSR_ARCH_CAPABILITIES, half: "lo" }],
  ["m10Ah", { kind: "msr", index: MSR_ARCH_CAPABILITIES, half: "hi" }],
  ["e21c", cpuid(0x80000021, null, "ecx")],
];

export const WORDS: readonly WordInfo[] = WORD_TABLE.map(([abbrev, source], index) => ({
  index,
  abbrev,
  sourceName: sourceName(source),
  source,
}));
