// The strict audit of a requested policy against a guest max policy. Unlike
// Xen (which rejects only leaf ranges, vendor and PLATFORM_INFO, and silently
// clamps the rest) it reports every problem. A clean policy costs a few
// word-wise loops over reused buffers and allocates nothing; findings are
// only built once something is wrong.

import { featureByName } from "../featureset/features.ts";
import { FEATURESET_WORDS } from "../featureset/words.ts";
import { HVM_SHADOW_MAX_MASK, type GuestType } from "../featureset/masks.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { featureFindings, featuresClean } from "./check-features.ts";
import { dependenciesClean, dependencyFindings } from "./check-dependencies.ts";
import { leafFindings, leavesClean } from "./check-leaves.ts";
import { msrFindings, msrsClean } from "./check-msrs.ts";
import { vendorClean, vendorFindings } from "./check-vendor.ts";
import { xstateClean, xstateFindings } from "./check-xstate.ts";
import type { Finding } from "./finding.ts";
import { loadFeatureWords } from "./policy-words.ts";

export interface AuditOptions {
  /** guest type of the max policy; lets messages say why Xen never offers a feature */
  guest?: GuestType;
  /** HVM only: false for shadow paging, which narrows max to HVM_SHADOW_MAX (Xen does the same). Default true. */
  hap?: boolean;
  /** HVM only: false hides VMX/SVM as Xen does for domains without nested virt. Default true. */
  nestedVirt?: boolean;
}

const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

function narrowingMask(shadow: boolean, noNested: boolean): Uint32Array {
  const m = new Uint32Array(FEATURESET_WORDS).fill(0xffffffff);
  if (shadow) for (let w = 0; w < m.length; w++) m[w] &= HVM_SHADOW_MAX_MASK[w];
  if (noNested) {
    for (const name of ["vmx", "svm"]) {
      const f = featureByName(name)!;
      m[f.word] &= ~(1 << f.bit);
    }
  }
  return m;
}

/** Indexed by (shadow ? 2 : 0) | (noNested ? 1 : 0). */
const NARROWING = [narrowingMask(false, false), narrowingMask(false, true), narrowingMask(true, false), narrowingMask(true, true)];

function narrowing(opts: AuditOptions): Uint32Array {
  if (opts.guest === "pv") return NARROWING[0];
  return NARROWING[(opts.hap === false ? 2 : 0) | (opts.nestedVirt === false ? 1 : 0)];
}

function loadAllowed(max: CpuPolicy, opts: AuditOptions, out: Uint32Array): void {
  const mask = narrowing(opts);
  loadFeatureWords(max, out);
  for (let w = 0; w < out.length; w++) out[w] &= mask[w];
}

// Reused by every clean-path call (single-threaded, never re-entered).
const REQ_WORDS = new Uint32Array(FEATURESET_WORDS);
const ALLOWED_WORDS = new Uint32Array(FEATURESET_WORDS);

/** Every finding of `requested` against `max`; an empty (shared, frozen) list when clean. */
export function auditPolicy(requested: CpuPolicy, max: CpuPolicy, opts: AuditOptions = {}): readonly Finding[] {
  loadFeatureWords(requested, REQ_WORDS);
  loadAllowed(max, opts, ALLOWED_WORDS);
  if (
    vendorClean(requested, max) &&
    featuresClean(REQ_WORDS, ALLOWED_WORDS) &&
    dependenciesClean(REQ_WORDS) &&
    leavesClean(requested, max, REQ_WORDS) &&
    msrsClean(requested, max) &&
    xstateClean(requested, max, REQ_WORDS)
  ) {
    return NO_FINDINGS;
  }
  return collectFindings(requested, max, opts);
}

/** The slow path on its own: builds every finding without the clean-path shortcut. */
export function collectFindings(requested: CpuPolicy, max: CpuPolicy, opts: AuditOptions = {}): Finding[] {
  const req = new Uint32Array(FEATURESET_WORDS);
  const allowed = new Uint32Array(FEATURESET_WORDS);
  loadFeatureWords(requested, req);
  loadAllowed(max, opts, allowed);
  const out: Finding[] = [];
  vendorFindings(requested, max, out);
  leafFindings(requested, max, req, out);
  featureFindings(req, allowed, opts.guest, opts.hap !== false, out);
  dependencyFindings(req, out);
  msrFindings(requested, max, out);
  xstateFindings(requested, max, req, out);
  return out;
}
