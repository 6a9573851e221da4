// What the xsave checks say, word for word and where: each inconsistency
// between the xsave features, XCR0, XSS and the leaf 0xd layout gives one
// finding naming the feature, the subleaf and register, and the values.
// Alder Lake's HVM default: XCR0 0x207 (x87, SSE, YMM, PKRU), area 0xa88.

import { describe, expect, it } from "vitest";
import { collectFindings } from "../../../shared/audit/audit.ts";
import type { Finding } from "../../../shared/audit/finding.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { xenPolicies } from "../derive/support.ts";
import { withFeatures } from "./support.ts";

const ALDER = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");
const def = ALDER.hvm_default;
const max = ALDER.hvm_max;

const xstate = (p: CpuPolicy) => collectFindings(p, max).filter((f) => f.code === "xstate-inconsistent");
const finding = (features: string[], where: Partial<Finding>, message: string) => ({ code: "xstate-inconsistent", features, ...where, message });
const at = (subleaf: number, register: "eax" | "ecx") => ({ leaf: 0xd, subleaf, register });

function tweak(change: (p: CpuPolicy) => void, from: CpuPolicy = def): CpuPolicy {
  const p = copyPolicy(from);
  change(p);
  return p;
}

describe("xstate findings", () => {
  it("the fixture is consistent", () => {
    expect([def.xstate[0].eax, def.xstate[0].ecx]).toEqual([0x207, 0xa88]);
    expect(xstate(def)).toEqual([]);
  });

  it("xsave off while leaf 0xd still advertises states", () => {
    expect(xstate(withFeatures(def, [], ["xsave"]))).toEqual([
      finding(["xsave"], at(0, "eax"), "xsave (CPUID 0x00000001.ecx[26]) is off, yet leaf 0xd still advertises xsave states (XCR0 0x00000000:0x00000207, XSS 0x00000000:0x00000000, size 0x00000a88)"),
    ]);
  });

  it("xsave off with leaf 0xd cleared is consistent", () => {
    const p = withFeatures(def, [], ["xsave"]);
    for (const i of [0, 1]) p.xstate[i] = { eax: 0, ebx: p.xstate[i].ebx, ecx: 0, edx: 0 };
    expect(xstate(p)).toEqual([]);
  });

  it("xsave on but leaf 0xd beyond the basic max leaf", () => {
    expect(xstate(tweak((p) => void (p.basic[0].eax = 0xc)))).toEqual([
      finding(["xsave"], { leaf: 0, register: "eax" }, "xsave (CPUID 0x00000001.ecx[26]) is on but the basic max leaf 0x0000000c is below 0xd, so leaf 0xd is invisible and Xen clears XSAVE"),
    ]);
  });

  it("XCR0 without x87/SSE", () => {
    expect(xstate(tweak((p) => void (p.xstate[0].eax = 0x206)))).toEqual([
      finding(["xsave"], at(0, "eax"), "XCR0 (leaf 0xd:0.eax 0x00000206) lacks x87/SSE (states 0, 1), which every xsave-capable guest has"),
    ]);
  });

  it("a state feature on without its state", () => {
    expect(xstate(tweak((p) => void (p.xstate[0].eax = 0x203)))).toEqual([
      finding(["avx"], at(0, "eax"), "avx (CPUID 0x00000001.ecx[28]) is on but XCR0 (leaf 0xd:0.eax 0x00000203) lacks its state YMM (2)"),
    ]);
  });

  it("a state advertised while its feature is off", () => {
    const p = tweak((q) => {
      q.xstate[0].eax = 0x207 | (1 << 5);
    });
    expect(xstate(p)[0]).toEqual(
      finding(["avx512f"], at(0, "eax"), "XCR0 (leaf 0xd:0.eax 0x00000227) advertises state 5 but avx512f (CPUID 0x00000007:0.ebx[16]), which owns it, is off"),
    );
  });

  it("states Xen never offers guests, below and above bit 31", () => {
    expect(xstate(tweak((p) => void (p.xstate[0].eax = 0x207 | (1 << 8) | (1 << 10))))).toEqual([
      finding([], at(0, "eax"), "XCR0 (leaf 0xd:0 edx:eax 0x00000000:0x00000707) advertises states 8, 10 that Xen never offers guests"),
    ]);
    expect(xstate(tweak((p) => void ((p.xstate[0].eax = 0x207 | (1 << 8)), (p.xstate[0].edx = 1))))).toEqual([
      finding([], at(0, "eax"), "XCR0 (leaf 0xd:0 edx:eax 0x00000001:0x00000307) advertises state 8 and states above 31 that Xen never offers guests"),
    ]);
    // only above bit 31: no empty list of low states in the message
    expect(xstate(tweak((p) => void (p.xstate[0].edx = 1)))).toEqual([
      finding([], at(0, "eax"), "XCR0 (leaf 0xd:0 edx:eax 0x00000001:0x00000207) advertises states above 31 that Xen never offers guests"),
    ]);
  });

  it("supervisor states in XSS", () => {
    expect(xstate(tweak((p) => void (p.xstate[1].edx = 1)))).toEqual([
      finding(["xsaves"], at(1, "ecx"), "XSS (leaf 0xd:1 edx:ecx 0x00000001:0x00000000) advertises supervisor states; Xen offers none to guests"),
    ]);
  });

  it("a state laid out differently from max", () => {
    expect(xstate(tweak((p) => void (p.xstate[9].ebx = 0xa40)))).toEqual([
      finding(["pku"], at(9, "eax"), "leaf 0xd:9 lays out state 9 (needed by pku) as size 0x00000008 at offset 0x00000a40, the max policy as size 0x00000008 at 0x00000a80"),
      finding([], at(0, "ecx"), "leaf 0xd:0.ecx says the xsave area is 0x00000a88 bytes, but the enabled states end at 0x00000a48"),
    ]);
  });

  it("a state with flags xsavec (align, 0x2) and xsaves (XSS, 0x1) do not allow", () => {
    expect(xstate(tweak((p) => void (p.xstate[2].ecx = 0x4)))).toEqual([
      finding(["avx"], at(2, "ecx"), "leaf 0xd:2.ecx 0x00000004 shows flags beyond what xsavec/xsaves allow (0x00000003)"),
    ]);
  });

  it("an area size that is not where the enabled states end", () => {
    expect(xstate(tweak((p) => void (p.xstate[0].ecx = 0xa80)))).toEqual([
      finding([], at(0, "ecx"), "leaf 0xd:0.ecx says the xsave area is 0x00000a80 bytes, but the enabled states end at 0x00000a88"),
    ]);
  });
});
