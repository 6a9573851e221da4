// Building the policy a request asks for: a copy of the guest type's default
// or max policy with the requested features switched on or off. Disabling a
// feature also disables everything that depends on it (Xen's deep
// dependencies: no-xsave takes AVX and all above it) unless the request
// explicitly enables that dependent — an enable whose prerequisites are off is
// left for the audit to report. Only what Xen itself derives from features is
// recomputed: leaf 0xd, and max leaves raised so an enabled feature's leaf is
// visible.

import { clearOutOfRangeLeaves } from "../policy/out-of-range.ts";
import { lookupFeature, unknownFeatureMessage } from "../featureset/suggest.ts";
import { DEEP_DEPENDENTS } from "../featureset/dependencies.ts";
import { emptyFeatureset, setFeature, type Featureset } from "../featureset/featureset.ts";
import type { GuestType } from "../featureset/masks.ts";
import { WORDS } from "../featureset/words.ts";
import { EXTD_BASE, copyPolicy, type CpuPolicy } from "../policy/cpu-policy.ts";
import { policyFeatureset, setPolicyFeatureset } from "../policy/featureset-io.ts";
import { deserialisePolicy } from "../policy/serialise.ts";
import { recalculateXstate } from "../derive/xstate.ts";
import type { PolicyRequest } from "./parse-request.ts";
import { RequestError } from "./request-error.ts";

/** The guest policies of one host (a subset of what derivation produces). */
export interface GuestPolicies {
  pv_max: CpuPolicy;
  pv_default: CpuPolicy;
  hvm_max: CpuPolicy;
  hvm_default: CpuPolicy;
}

export const guestMax = (host: GuestPolicies, guest: GuestType) => (guest === "pv" ? host.pv_max : host.hvm_max);
export const guestDefault = (host: GuestPolicies, guest: GuestType) => (guest === "pv" ? host.pv_default : host.hvm_default);

/** Raise (never lower) max leaf/subleaf so every non-zero feature word is visible. */
function coverFeatureLeaves(p: CpuPolicy, fs: Featureset): void {
  for (const w of WORDS) {
    const s = w.source;
    if (fs[w.index] === 0 || s.kind === "msr") continue;
    if (s.leaf >= EXTD_BASE) {
      if (p.extd[0].eax >>> 0 < s.leaf) p.extd[0].eax = s.leaf;
      continue;
    }
    if (p.basic[0].eax >>> 0 < s.leaf) p.basic[0].eax = s.leaf;
    if (s.leaf === 7 && p.feat[0].eax >>> 0 < (s.subleaf ?? 0)) p.feat[0].eax = s.subleaf ?? 0;
  }
}

function requireFeature(name: string) {
  const f = lookupFeature(name);
  if (!f) throw new RequestError(unknownFeatureMessage(name));
  return f;
}

export function buildRequestedPolicy(host: GuestPolicies, guest: GuestType, request: PolicyRequest): CpuPolicy {
  if (request.kind === "policy") {
    const p = deserialisePolicy(request.policy);
    clearOutOfRangeLeaves(p);
    return p;
  }
  const max = guestMax(host, guest);
  return withFeatureChanges(request.baseline === "max" ? max : guestDefault(host, guest), max, request.enable, request.disable);
}

/**
 * A copy of `base` with the features switched on and off; `max` is what leaf
 * 0xd is recomputed against (the host's guest max, or a pool's level, which
 * keeps a pool-built policy the same on every member).
 */
export function withFeatureChanges(base: CpuPolicy, max: CpuPolicy, enable: readonly string[], disable: readonly string[]): CpuPolicy {
  const p = copyPolicy(base);
  if (enable.length === 0 && disable.length === 0) return p;
  const fs = policyFeatureset(p);
  const enabled = emptyFeatureset();
  for (const name of enable) setFeature(enabled, requireFeature(name), true);
  for (const name of disable) {
    const f = requireFeature(name);
    setFeature(fs, f, false);
    const dependents = DEEP_DEPENDENTS.get(f.value);
    if (dependents) for (let i = 0; i < fs.length; i++) fs[i] &= ~(dependents[i] & ~enabled[i]);
  }
  for (let i = 0; i < fs.length; i++) fs[i] |= enabled[i];
  setPolicyFeatureset(p, fs);
  coverFeatureLeaves(p, fs);
  recalculateXstate(p, max);
  return p;
}
