// One policy block as `xen-cpuid -p` prints it (all-zero leaves omitted), the
// form parseXenCpuidPolicy reads back.

import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { serialisePolicy } from "../policy/serialise.ts";

const h = (n: number, digits = 8) => (n >>> 0).toString(16).padStart(digits, "0");

/** `heading` is what precedes "policy:", e.g. "Host" or "Domain 3". */
export function formatXenCpuidPolicyBlock(heading: string, p: CpuPolicy): string {
  const s = serialisePolicy(p);
  const lines = [
    `${heading} policy: ${s.leaves.length} leaves, ${s.msrs.length} MSRs`,
    " CPUID:",
    "  leaf     subleaf  -> eax      ebx      ecx      edx     ",
    ...s.leaves.filter((l) => l.eax || l.ebx || l.ecx || l.edx).map((l) => `  ${h(l.leaf)}:${h(l.subleaf)} -> ${h(l.eax)}:${h(l.ebx)}:${h(l.ecx)}:${h(l.edx)}`),
    " MSRs:",
    "  index    -> value           ",
    ...s.msrs.map((m) => `  ${h(m.index)} -> ${m.value.toString(16).padStart(16, "0")}`),
  ];
  return lines.join("\n") + "\n";
}
