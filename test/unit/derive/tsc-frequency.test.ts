// tscKhzFromCpuid and hostTscFacts on hand-made CPUID answers: each leaf the
// rule reads, missing, zero or just out of range.

import { describe, expect, it } from "vitest";
import type { CpuidQuery } from "../../../shared/derive/raw.ts";
import { hostTscFacts, tscKhzFromCpuid } from "../../../shared/derive/tsc-frequency.ts";
import type { Regs } from "../../../shared/policy/cpu-policy.ts";
import { syntheticRaw } from "./support.ts";

const regs = (eax: number, ebx = 0, ecx = 0, edx = 0): Regs => ({ eax, ebx, ecx, edx });
const cpuid = (leaves: Record<number, Regs>): CpuidQuery => (leaf) => leaves[leaf];

const CRYSTAL = { 0x0: regs(0x16), 0x15: regs(2, 240, 25_000_000) }; // 25 MHz × 240/2 = 3 GHz
const FALLBACK = {
  0x0: regs(0x16),
  0x15: regs(2, 168),
  0x16: regs(2100),
  0x80000000: regs(0x80000008),
  0x80000007: regs(0, 0, 0, 1 << 8),
};

describe("tscKhzFromCpuid", () => {
  it.each<[string, Record<number, Regs>, number | undefined]>([
    ["crystal enumerated", CRYSTAL, 3_000_000],
    ["crystal enumerated, 0x15 the last leaf", { ...CRYSTAL, 0x0: regs(0x15) }, 3_000_000],
    ["leaf 0x15 beyond the max leaf", { ...CRYSTAL, 0x0: regs(0x14) }, undefined],
    ["no leaf 0 answer", { 0x15: CRYSTAL[0x15] }, undefined],
    ["no leaf 0x15 answer", { 0x0: regs(0x16) }, undefined],
    ["ratio denominator 0", { ...CRYSTAL, 0x15: regs(0, 240, 25_000_000) }, undefined],
    ["ratio numerator 0", { ...CRYSTAL, 0x15: regs(2, 0, 25_000_000) }, undefined],
    ["no crystal: invariant TSC at 0x16's base MHz", FALLBACK, 2_100_000],
    ["no crystal: 0x80000007 the last extended leaf", { ...FALLBACK, 0x80000000: regs(0x80000007) }, 2_100_000],
    ["no crystal: 0x80000007 beyond the last extended leaf", { ...FALLBACK, 0x80000000: regs(0x80000006) }, undefined],
    ["no crystal: no extended leaves answered", { ...FALLBACK, 0x80000000: undefined as unknown as Regs }, undefined],
    ["no crystal: TSC not invariant", { ...FALLBACK, 0x80000007: regs(0) }, undefined],
    ["no crystal: leaf 0x16 beyond the max leaf", { ...FALLBACK, 0x0: regs(0x15) }, undefined],
    ["no crystal: no leaf 0x16 answer", { ...FALLBACK, 0x16: undefined as unknown as Regs }, undefined],
    ["no crystal: base MHz 0", { ...FALLBACK, 0x16: regs(0) }, undefined],
  ])("%s", (_case, leaves, khz) => {
    expect(tscKhzFromCpuid(cpuid(leaves))).toBe(khz);
  });
});

describe("hostTscFacts", () => {
  const amd = (extdMax: number, tscRateMsr: boolean) => {
    const raw = syntheticRaw({ vendor: "amd", family: 0x17, model: 0x31 });
    raw.extd[0].eax = extdMax;
    raw.extd[0xa].edx = tscRateMsr ? 1 << 4 : 0;
    return raw;
  };

  it.each<[string, ReturnType<typeof amd>, number | undefined, object]>([
    ["AMD with the TSC-ratio MSR", amd(0x8000000a, true), 2_000_000, { khz: 2_000_000, scaling: true }],
    ["AMD without it", amd(0x8000001f, false), undefined, { scaling: false }],
    ["AMD without leaf 0x8000000a: unknown", amd(0x80000009, true), undefined, {}],
    ["Intel: unknown from CPUID", (() => { const r = syntheticRaw({ vendor: "intel", family: 6, model: 0x55 }); r.extd[0].eax = 0x8000000a; r.extd[0xa].edx = 1 << 4; return r; })(), 2_100_000, { khz: 2_100_000 }],
  ])("%s", (_case, raw, khz, facts) => {
    expect(hostTscFacts(raw, khz)).toStrictEqual(facts);
  });
});
