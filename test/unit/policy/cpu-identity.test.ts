// CPU identity from a policy: the vendor word from leaf 0, family / model /
// stepping from leaf 1 as Xen and Linux compute them, and the brand string.

import { describe, expect, it } from "vitest";
import { emptyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policySetView, policyView } from "../../../shared/policy/policy-view.ts";
import { brandString, isAmdLike, policySignature, policyVendor, vendorString, type Vendor } from "../../../shared/policy/vendor.ts";

const word = (s: string) => s.split("").reduce((n, ch, i) => n | (ch.charCodeAt(0) << (8 * i)), 0) >>> 0;

function withVendor(text: string): CpuPolicy {
  const p = emptyPolicy();
  p.basic[0].ebx = word(text.slice(0, 4));
  p.basic[0].edx = word(text.slice(4, 8));
  p.basic[0].ecx = word(text.slice(8, 12));
  return p;
}

function withLeaf1(eax: number): CpuPolicy {
  const p = emptyPolicy();
  p.basic[1].eax = eax;
  return p;
}

describe("policyVendor", () => {
  it.each<[string, Vendor]>([
    ["GenuineIntel", "intel"],
    ["AuthenticAMD", "amd"],
    ["CentaurHauls", "centaur"],
    ["  Shanghai  ", "shanghai"],
    ["HygonGenuine", "hygon"],
    ["GenuineIotel", "unknown"],
    ["\0\0\0\0\0\0\0\0\0\0\0\0", "unknown"],
  ])("%j is %s", (text, vendor) => {
    const p = withVendor(text);
    expect(vendorString(p)).toBe(text);
    expect(policyVendor(p)).toBe(vendor);
  });

  it("AMD and Hygon are AMD-like, the others are not", () => {
    expect((["intel", "amd", "centaur", "shanghai", "hygon", "unknown"] as const).filter(isAmdLike)).toEqual(["amd", "hygon"]);
  });
});

describe("policySignature", () => {
  it("family 6 adds the extended model and ignores the extended family", () => {
    // Sapphire Rapids: 0x000806f8 → family 6, model 0x8f, stepping 8
    expect(policySignature(withLeaf1(0x0ff806f8))).toEqual({ family: 6, model: 0x8f, stepping: 8 });
  });

  it("family 15 adds the extended family and the extended model", () => {
    // Zen 4 Genoa: 0x00a10f11 → family 0x19, model 0x11, stepping 1
    expect(policySignature(withLeaf1(0x00a10f11))).toEqual({ family: 0x19, model: 0x11, stepping: 1 });
  });

  it("below family 6 the extended model is not used", () => {
    expect(policySignature(withLeaf1(0x000f0543))).toEqual({ family: 5, model: 4, stepping: 3 });
  });

  it("the view holds each policy given, in Xen's order, and no other", () => {
    const host = withVendor("GenuineIntel");
    const max = withVendor("GenuineIntel");
    max.basic[1].ecx = 1;
    const view = policySetView(host, { hvm_max: max, host });
    expect(Object.keys(view.policies)).toEqual(["host", "hvm_max"]);
    expect(view.policies).toEqual({ host: policyView(host), hvm_max: policyView(max) });
  });

  it("the view prints them as two hex digits", () => {
    const p = withVendor("AuthenticAMD");
    p.basic[1].eax = 0x00a10f11;
    expect(policySetView(p, {})).toEqual({ vendor: "amd", family: "19", model: "11", stepping: "01", policies: {} });
  });
});

describe("brandString", () => {
  const brand = "AMD EPYC 9754 128-Core Processor";
  function withBrand(extdMax: number): CpuPolicy {
    const p = emptyPolicy();
    p.extd[0].eax = extdMax;
    const padded = `  ${brand}`.padEnd(48, "\0");
    for (let l = 0; l < 3; l++) {
      const r = p.extd[2 + l];
      [r.eax, r.ebx, r.ecx, r.edx] = [0, 1, 2, 3].map((i) => word(padded.slice(16 * l + 4 * i, 16 * l + 4 * i + 4)));
    }
    return p;
  }

  it("reads leaves 0x80000002-4, trimmed, when the extended max leaf reaches 0x80000004", () => {
    expect(brandString(withBrand(0x80000004))).toBe(brand);
    expect(brandString(withBrand(0x80000008))).toBe(brand);
  });

  it("is empty when the extended max leaf stops below 0x80000004", () => {
    expect(brandString(withBrand(0x80000003))).toBe("");
  });
});
