// Leaf ranges: max-leaf-exceeded (Xen's x86_cpu_policies_are_compatible rules
// i-iii), feature-beyond-max-leaf (a feature sits where the guest can't see
// it) and address-width-exceeded (Xen would clamp leaf 0x80000008 silently).

import { featureByValue } from "../featureset/features.ts";
import { WORDS } from "../featureset/words.ts";
import { EXTD_BASE, basicMaxLeaf, extdMaxLeaf, featMaxSubleaf, type CpuPolicy } from "../policy/cpu-policy.ts";
import { bitPosition, describeFeature, hex, type Finding } from "./finding.ts";

/** Per word: its CPUID leaf (0 for the MSR words, always visible) and leaf-7 subleaf. */
const WORD_LEAF = Uint32Array.from(WORDS, (w) => (w.source.kind === "msr" ? 0 : w.source.leaf));
const WORD_SUBLEAF = Uint32Array.from(WORDS, (w) => (w.source.kind === "cpuid" ? (w.source.subleaf ?? 0) : 0));

/** Whether word w's leaf is visible under these max leaf/subleaf values. */
export function wordVisibleAt(basicMax: number, featMax: number, extdMax: number, w: number): boolean {
  const leaf = WORD_LEAF[w];
  if (leaf === 0) return true;
  if (leaf >= EXTD_BASE) return extdMax >>> 0 >= leaf;
  if (basicMax >>> 0 < leaf) return false;
  return leaf !== 7 || featMax >>> 0 >= WORD_SUBLEAF[w];
}

export const wordVisible = (p: CpuPolicy, w: number) => wordVisibleAt(basicMaxLeaf(p), featMaxSubleaf(p), extdMaxLeaf(p), w);

const ADDRESS_LEAF = 0x80000008;
const physBits = (p: CpuPolicy) => p.extd[8].eax & 0xff;
const linBits = (p: CpuPolicy) => (p.extd[8].eax >>> 8) & 0xff;
const hasAddressLeaf = (p: CpuPolicy) => extdMaxLeaf(p) >>> 0 >= ADDRESS_LEAF;

export function leavesClean(req: CpuPolicy, max: CpuPolicy, reqWords: Uint32Array): boolean {
  if (basicMaxLeaf(req) >>> 0 > basicMaxLeaf(max) >>> 0) return false;
  if (featMaxSubleaf(req) >>> 0 > featMaxSubleaf(max) >>> 0) return false;
  if (extdMaxLeaf(req) >>> 0 > extdMaxLeaf(max) >>> 0) return false;
  for (let w = 0; w < reqWords.length; w++) if (reqWords[w] !== 0 && !wordVisible(req, w)) return false;
  if (hasAddressLeaf(req) && hasAddressLeaf(max) && (physBits(req) > physBits(max) || linBits(req) > linBits(max))) return false;
  return true;
}

const MAX_LEAF_FIELDS = [
  { what: "basic max leaf", leaf: 0, subleaf: undefined, read: basicMaxLeaf },
  { what: "leaf 7 max subleaf", leaf: 7, subleaf: 0, read: featMaxSubleaf },
  { what: "extended max leaf", leaf: EXTD_BASE, subleaf: undefined, read: extdMaxLeaf },
] as const;

export function leafFindings(req: CpuPolicy, max: CpuPolicy, reqWords: Uint32Array, out: Finding[]): void {
  for (const m of MAX_LEAF_FIELDS) {
    const r = m.read(req) >>> 0;
    const x = m.read(max) >>> 0;
    if (r <= x) continue;
    out.push({
      code: "max-leaf-exceeded",
      features: [],
      leaf: m.leaf,
      ...(m.subleaf === undefined ? {} : { subleaf: m.subleaf }),
      register: "eax",
      message: `${m.what} ${hex(r)} (leaf ${hex(m.leaf)}${m.subleaf === undefined ? "" : `:${m.subleaf}`}.eax) exceeds the max policy's ${hex(x)}; Xen rejects this policy`,
    });
  }
  for (let w = 0; w < reqWords.length; w++) {
    if (reqWords[w] === 0 || wordVisible(req, w)) continue;
    for (let bit = 0; bit < 32; bit++) {
      const f = reqWords[w] & (1 << bit) ? featureByValue(w * 32 + bit) : undefined;
      if (!f) continue;
      out.push({
        code: "feature-beyond-max-leaf",
        features: [f.name],
        ...bitPosition(w, bit),
        message: `${describeFeature(f)} is on, but the policy's own max leaf/subleaf (basic ${hex(basicMaxLeaf(req))}, leaf 7 ${featMaxSubleaf(req)}, extended ${hex(extdMaxLeaf(req))}) hides that leaf from the guest`,
      });
    }
  }
  if (!hasAddressLeaf(req) || !hasAddressLeaf(max)) return;
  const widths = [
    { what: "physical", req: physBits(req), max: physBits(max), bits: "7:0" },
    { what: "linear", req: linBits(req), max: linBits(max), bits: "15:8" },
  ];
  for (const a of widths) {
    if (a.req <= a.max) continue;
    out.push({
      code: "address-width-exceeded",
      features: [],
      leaf: ADDRESS_LEAF,
      register: "eax",
      message: `${a.what} address width ${a.req} bits (leaf ${hex(ADDRESS_LEAF)}.eax[${a.bits}]) exceeds the max policy's ${a.max}; Xen would silently clamp it`,
    });
  }
}
