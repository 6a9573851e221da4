// recalculate_misc on a policy whose every leaf is non-zero: what it clears per
// vendor, what it keeps, and that it clears in place (no leaf added).

import { describe, expect, it } from "vitest";
import { recalculateMisc } from "../../../shared/derive/misc.ts";
import type { CpuPolicy, Regs } from "../../../shared/policy/cpu-policy.ts";
import { syntheticRaw } from "./support.ts";

const ZERO: Regs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
const isZero = (r: Regs) => JSON.stringify(r) === JSON.stringify(ZERO);

function everyLeafSet(vendor: "intel" | "amd"): CpuPolicy {
  const p = syntheticRaw({ vendor, family: vendor === "amd" ? 0x19 : 6, model: 0x11 });
  const fill = (rs: Regs[]) => rs.forEach((r, i) => Object.assign(r, { eax: 0x100 + i, ebx: 0x200 + i, ecx: 0x300 + i, edx: 0x400 + i }));
  for (const rs of [p.basic.slice(2), p.cache, p.feat.slice(1), p.topo, p.extd.slice(2)]) fill(rs);
  return p;
}

describe("recalculateMisc", () => {
  it("AMD: leaves 2, 3, 9, 0xa, the cache leaf and 0x80000009–0x80000020 cleared; 0x80000019/1a kept", () => {
    const p = everyLeafSet("amd");
    recalculateMisc(p);
    expect([2, 3, 9, 0xa].map((l) => isZero(p.basic[l]))).toEqual([true, true, true, true]);
    expect([4, 7].map((l) => isZero(p.basic[l]))).toEqual([false, false]);
    expect(p.cache.map(isZero)).toEqual([true, true, true, true, true, true]);
    expect(p.extd.slice(0xb, 0x19).every(isZero)).toBe(true);
    expect([0xa, 0x19, 0x1a].map((l) => isZero(p.extd[l]))).toEqual([false, false, false]);
    expect([p.basic.length, p.cache.length, p.topo.length, p.extd.length]).toEqual([0xe, 6, 2, 0x22]);
  });

  it("Intel: the topology leaf cleared, the cache leaf kept", () => {
    const p = everyLeafSet("intel");
    recalculateMisc(p);
    expect(p.topo.map(isZero)).toEqual([true, true]);
    expect(p.cache.some(isZero)).toBe(false);
    expect([p.cache.length, p.topo.length]).toEqual([6, 2]);
  });
});
