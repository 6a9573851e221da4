// Xen's TSX choice (tsx_init, and the TAA heuristic of
// init_speculation_mitigations): which TSX bits Xen forces into its own view
// and whether RTM is disabled (rtm_disabled), which hides RTM from default
// policies.
//
// Modelled without the MSRs Xen reads: MCU_OPT_CTRL is taken as
// RTM_ALLOW=0 / RTM_LOCKED=0 (no SGX lock), and TSX_FORCE_ABORT as 0, so the
// "RTM_ALWAYS_ABORT without RTM" firmware bug is recognised from CPUID alone.

import type { Feature } from "../featureset/features.ts";
import { hasFeature, type Featureset } from "../featureset/featureset.ts";
import { X } from "./features.ts";

export interface TsxDecision {
  /** force HLE and RTM into Xen's view ("TSX infrastructure present") */
  forceHleRtm: boolean;
  forceRtmAlwaysAbort: boolean;
  /** the CoffeeLake firmware bug: Xen clears RTM_ALWAYS_ABORT and TSX_FORCE_ABORT */
  firmwareBug: boolean;
  rtmDisabled: boolean;
}

/** `hw`: CPUID features plus MSR_ARCH_CAPS as the CPU reports them; `tsx`: the tsx= option. */
export function tsxDecision(hw: Featureset, tsx: boolean | undefined): TsxDecision {
  const has = (f: Feature) => hasFeature(hw, f);
  // Xen's opt_tsx: 1/0 explicit, -1 default; only bit 0 matters in the end.
  let opt = tsx === undefined ? -1 : tsx ? 1 : 0;
  const tsxCtrl = has(X.tsxCtrl);
  const forceAbort = has(X.tsxForceAbort);
  const rtmAlwaysAbort = has(X.rtmAlwaysAbort);

  if (tsxCtrl && has(X.srbdsCtrl) && rtmAlwaysAbort && opt === -1) opt = 0;
  if (forceAbort) {
    if (rtmAlwaysAbort && !has(X.rtm)) {
      // TSX controls are cleared, so rtm_disabled is never set.
      return { forceHleRtm: false, forceRtmAlwaysAbort: false, firmwareBug: true, rtmDisabled: false };
    }
    if (opt < 0) opt = rtmAlwaysAbort ? 0 : 1;
  }
  // TAA (cpu_has_bug_taa also asks for RTM or TSX_CTRL: implied here): prefer
  // disabling TSX over VERW flushing + no SMT.
  if (opt === -1 && tsxCtrl && has(X.mdsNo) && !has(X.taaNo)) opt = 0;
  return {
    forceHleRtm: tsxCtrl || forceAbort,
    forceRtmAlwaysAbort: rtmAlwaysAbort,
    firmwareBug: false,
    rtmDisabled: (tsxCtrl || forceAbort) && (opt & 1) === 0,
  };
}
