// Xen's recalculate_xstate: leaf 0xd rebuilt from the policy's features.
// Only 0xd:1.eax (the Da1 feature word) survives; component sizes and offsets
// come from the raw policy, as on the real hardware.

import { XSTATE_SUBLEAVES, type CpuPolicy, type Regs } from "../policy/cpu-policy.ts";
import type { Feature } from "../featureset/features.ts";
import { X } from "./features.ts";

const XCR0_X87 = 1 << 0;
const XCR0_SSE = 1 << 1;
const XCR0_YMM = 1 << 2;
const XCR0_BNDREGS = 1 << 3;
const XCR0_BNDCSR = 1 << 4;
const XCR0_OPMASK = 1 << 5;
const XCR0_ZMM = 1 << 6;
const XCR0_HI_ZMM = 1 << 7;
const XCR0_PKRU = 1 << 9;
const XCR0_TILE_CFG = 1 << 17;
const XCR0_TILE_DATA = 1 << 18;
/** legacy FXSAVE area + XSAVE header */
const XSTATE_AREA_MIN_SIZE = 512 + 64;
const XSTATE_XSS = 1 << 0;
const XSTATE_ALIGN64 = 1 << 1;

const on = (r: Regs, reg: keyof Regs, f: Feature) => ((r[reg] >>> f.bit) & 1) === 1;

/** Xen's xstate_uncompressed_size for states within XCR0's low word (all Xen offers). */
function uncompressedSize(states: number, raw: CpuPolicy): number {
  if (states === 0) return 0;
  let size = XSTATE_AREA_MIN_SIZE;
  for (let i = 2; i < 32; i++) {
    if (states & (1 << i)) size = Math.max(size, (raw.xstate[i].ebx >>> 0) + (raw.xstate[i].eax >>> 0));
  }
  return size;
}

export function recalculateXstate(p: CpuPolicy, raw: CpuPolicy): void {
  const da1 = p.xstate[1].eax;
  for (let i = 0; i < XSTATE_SUBLEAVES; i++) {
    const r = p.xstate[i];
    r.eax = r.ebx = r.ecx = r.edx = 0;
  }
  const leaf1 = p.basic[1];
  if (!on(leaf1, "ecx", X.xsave)) return;

  const feat = p.feat[0];
  let states = XCR0_X87 | XCR0_SSE;
  if (on(leaf1, "ecx", X.avx)) states |= XCR0_YMM;
  if (on(feat, "ebx", X.mpx)) states |= XCR0_BNDREGS | XCR0_BNDCSR;
  if (on(feat, "ebx", X.avx512f)) states |= XCR0_OPMASK | XCR0_ZMM | XCR0_HI_ZMM;
  if (on(feat, "ecx", X.pku)) states |= XCR0_PKRU;
  if (on(feat, "edx", X.amxTile)) states |= XCR0_TILE_CFG | XCR0_TILE_DATA;

  // Xen has no supervisor (XSS) states to offer, so every state is an XCR0 one.
  p.xstate[0].eax = states >>> 0;
  p.xstate[0].ecx = uncompressedSize(states, raw);
  p.xstate[1].eax = da1;
  const ecxMask =
    (on(p.xstate[1], "eax", X.xsavec) ? XSTATE_ALIGN64 : 0) | (on(p.xstate[1], "eax", X.xsaves) ? XSTATE_XSS : 0);

  for (let i = 2; i < 32; i++) {
    if (!(states & (1 << i))) continue;
    const src = raw.xstate[i];
    p.xstate[i].eax = src.eax >>> 0;
    p.xstate[i].ebx = src.ebx >>> 0;
    p.xstate[i].ecx = (src.ecx & ecxMask) >>> 0;
  }
}
