// vendor-mismatch: leaf 0's vendor registers must equal max's (Xen 4.22+ rule i).

import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { vendorString } from "../policy/vendor.ts";
import type { Finding } from "./finding.ts";

export function vendorClean(req: CpuPolicy, max: CpuPolicy): boolean {
  const r = req.basic[0];
  const m = max.basic[0];
  return r.ebx === m.ebx && r.ecx === m.ecx && r.edx === m.edx;
}

const show = (s: string) => (s.replace(/\0/g, "") === "" ? "(empty)" : `"${s.replace(/[^\x20-\x7e]/g, "?")}"`);

export function vendorFindings(req: CpuPolicy, max: CpuPolicy, out: Finding[]): void {
  if (vendorClean(req, max)) return;
  out.push({
    code: "vendor-mismatch",
    features: [],
    leaf: 0,
    message: `vendor ${show(vendorString(req))} (leaf 0x00000000 ebx/edx/ecx) differs from the max policy's ${show(vendorString(max))}; Xen rejects cross-vendor policies`,
  });
}
