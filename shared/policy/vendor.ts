// CPU vendor identification from leaf 0 (Xen's x86_cpuid_lookup_vendor).

import type { CpuPolicy } from "./cpu-policy.ts";

export type Vendor = "intel" | "amd" | "centaur" | "shanghai" | "hygon" | "unknown";

const VENDOR_STRINGS: ReadonlyArray<readonly [Vendor, string]> = [
  ["intel", "GenuineIntel"],
  ["amd", "AuthenticAMD"],
  ["centaur", "CentaurHauls"],
  ["shanghai", "  Shanghai  "],
  ["hygon", "HygonGenuine"],
];

function regsToString(...regs: number[]): string {
  let s = "";
  for (const r of regs) for (let i = 0; i < 4; i++) s += String.fromCharCode((r >>> (8 * i)) & 0xff);
  return s;
}

export function vendorString(p: CpuPolicy): string {
  const l0 = p.basic[0];
  return regsToString(l0.ebx, l0.edx, l0.ecx);
}

export function policyVendor(p: CpuPolicy): Vendor {
  const s = vendorString(p);
  return VENDOR_STRINGS.find(([, v]) => v === s)?.[0] ?? "unknown";
}

/** AMD and Hygon share Xen's "AMD-like" code paths. */
export const isAmdLike = (v: Vendor) => v === "amd" || v === "hygon";

export interface Signature {
  family: number;
  model: number;
  stepping: number;
}

/** Family/model/stepping from leaf 1 eax, the way Linux and Xen compute them. */
export function policySignature(p: CpuPolicy): Signature {
  const eax = p.basic[1].eax;
  const baseFamily = (eax >>> 8) & 0xf;
  const family = baseFamily === 0xf ? baseFamily + ((eax >>> 20) & 0xff) : baseFamily;
  const model = baseFamily >= 0x6 ? ((eax >>> 4) & 0xf) | (((eax >>> 16) & 0xf) << 4) : (eax >>> 4) & 0xf;
  return { family, model, stepping: eax & 0xf };
}

/** Brand string from leaves 0x80000002..4 (trimmed), or "" when absent. */
export function brandString(p: CpuPolicy): string {
  if (p.extd[0].eax < 0x80000004) return "";
  const regs: number[] = [];
  for (let l = 2; l <= 4; l++) {
    const r = p.extd[l];
    regs.push(r.eax, r.ebx, r.ecx, r.edx);
  }
  return regsToString(...regs).replace(/\0/g, "").trim();
}
