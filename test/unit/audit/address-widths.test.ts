// Leaf 0x80000008's address widths: a requested physical or linear width
// above max's is reported (Xen would clamp it silently); equal is fine, and
// either policy lacking the leaf means there is nothing to compare.

import { describe, expect, it } from "vitest";
import { auditPolicy, collectFindings } from "../../../shared/audit/audit.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { xenPolicies } from "../derive/support.ts";

const ALDER = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");
const max = ALDER.hvm_max;
const maxPhys = max.extd[8].eax & 0xff;
const maxLin = (max.extd[8].eax >>> 8) & 0xff;

function withWidths(phys: number, lin: number, from: CpuPolicy = ALDER.hvm_default): CpuPolicy {
  const p = copyPolicy(from);
  p.extd[8].eax = (p.extd[8].eax & ~0xffff) | (lin << 8) | phys;
  return p;
}

const widthFindings = (p: CpuPolicy, m: CpuPolicy = max) => auditPolicy(p, m).filter((f) => f.code === "address-width-exceeded");

describe("address widths against max", () => {
  it("the fixture's max has 46 physical and 48 linear bits", () => {
    expect([maxPhys, maxLin]).toEqual([46, 48]);
  });

  it("equal widths audit clean", () => {
    expect(auditPolicy(withWidths(maxPhys, maxLin), max)).toEqual([]);
  });

  it("a linear width one above max is reported on its own, naming bits 15:8", () => {
    expect(widthFindings(withWidths(maxPhys, maxLin + 1))).toEqual([
      {
        code: "address-width-exceeded",
        features: [],
        leaf: 0x80000008,
        register: "eax",
        message: `linear address width ${maxLin + 1} bits (leaf 0x80000008.eax[15:8]) exceeds the max policy's ${maxLin}; Xen would silently clamp it`,
      },
    ]);
  });

  it("a physical width one above max is reported on its own, naming bits 7:0", () => {
    expect(widthFindings(withWidths(maxPhys + 1, maxLin)).map((f) => f.message)).toEqual([
      `physical address width ${maxPhys + 1} bits (leaf 0x80000008.eax[7:0]) exceeds the max policy's ${maxPhys}; Xen would silently clamp it`,
    ]);
  });

  it("both above max give two findings, physical first", () => {
    expect(widthFindings(withWidths(maxPhys + 1, maxLin + 1)).map((f) => f.message.split(" ")[0])).toEqual(["physical", "linear"]);
  });

  it("narrower widths than max are allowed", () => {
    expect(auditPolicy(withWidths(maxPhys - 1, maxLin - 1), max)).toEqual([]);
  });

  it("are not compared when the request or max stops below leaf 0x80000008", () => {
    const short = withWidths(maxPhys + 1, maxLin + 1);
    short.extd[0].eax = 0x80000007;
    expect(collectFindings(short, max).filter((f) => f.code === "address-width-exceeded")).toEqual([]);
    const shortMax = copyPolicy(max);
    shortMax.extd[0].eax = 0x80000007;
    const wide = withWidths(maxPhys + 1, maxLin + 1);
    wide.extd[0].eax = 0x80000007;
    expect(widthFindings(wide, shortMax)).toEqual([]);
  });

  it("compare exactly at leaf 0x80000008 as the extended max leaf", () => {
    const req = withWidths(maxPhys, maxLin + 1);
    req.extd[0].eax = 0x80000008;
    const m = copyPolicy(max);
    m.extd[0].eax = 0x80000008;
    expect(widthFindings(req, m)).toHaveLength(1);
  });
});
