// Xen's recalculate_xstate: leaf 0xd rebuilt from the policy's features.
// Only 0xd:1.eax (the Da1 feature word) survives; component sizes and offsets
// come from the raw policy, as on the real hardware.

import { XSTATE_SUBLEAVES, type CpuPolicy } from "../policy/cpu-policy.ts";
import { policyFeatureset } from "../policy/featureset-io.ts";
import { XSTATE_AREA_MIN_SIZE, componentFlagsMask, expectedXcr0 } from "../audit/xstate-rules.ts";

/** Xen's xstate_uncompressed_size for (non-empty) states within XCR0's low word (all Xen offers). */
function uncompressedSize(states: number, raw: CpuPolicy): number {
  let size = XSTATE_AREA_MIN_SIZE;
  for (let i = 2; i < 32; i++) {
    if (states & (1 << i)) size = Math.max(size, (raw.xstate[i].ebx >>> 0) + (raw.xstate[i].eax >>> 0));
  }
  return size;
}

export function recalculateXstate(p: CpuPolicy, raw: CpuPolicy): void {
  // read before leaf 0xd is cleared: 0xd:1.eax is the Da1 feature word (xsavec, xsaves)
  const words = policyFeatureset(p);
  const da1 = p.xstate[1].eax;
  for (let i = 0; i < XSTATE_SUBLEAVES; i++) {
    const r = p.xstate[i];
    r.eax = r.ebx = r.ecx = r.edx = 0;
  }
  // Xen has no supervisor (XSS) states to offer, so every state is an XCR0 one.
  const states = expectedXcr0(words);
  if (states === 0) return; // no xsave

  p.xstate[0].eax = states;
  p.xstate[0].ecx = uncompressedSize(states, raw);
  p.xstate[1].eax = da1;
  const ecxMask = componentFlagsMask(words);

  for (let i = 2; i < 32; i++) {
    if (!(states & (1 << i))) continue;
    const src = raw.xstate[i];
    p.xstate[i].eax = src.eax >>> 0;
    p.xstate[i].ebx = src.ebx >>> 0;
    p.xstate[i].ecx = (src.ecx & ecxMask) >>> 0;
  }
}
