// The level must audit clean against every member's max. A pool of 10,000
// hosts has few distinct max policies, so members whose max agrees in all
// the audit reads (featureset, leaf limits, address widths, PLATFORM_INFO,
// vendor, the xsave layout of the level's states) share one audit.

import { auditPolicy } from "../audit/audit.ts";
import type { GuestType } from "../featureset/masks.ts";
import { FEATURESET_WORDS } from "../featureset/words.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { LEAF_FIELDS, type PoolBits } from "./pool-bits.ts";

/** leaf limits, PLATFORM_INFO, then leaf 0 ebx/ecx/edx (the vendor) of the max */
const FIXED_FIELDS = LEAF_FIELDS + 4;

function signature(pool: PoolBits, i: number, states: readonly number[], out: Uint32Array): number {
  const W = FEATURESET_WORDS;
  out.set(pool.accepted.subarray(i * W, i * W + W));
  out.set(pool.acceptedLeaves.subarray(i * LEAF_FIELDS, i * LEAF_FIELDS + LEAF_FIELDS), W);
  out[W + LEAF_FIELDS] = pool.acceptedPlatformInfo[i];
  const l0 = pool.maxes[i].basic[0];
  out[W + LEAF_FIELDS + 1] = l0.ebx;
  out[W + LEAF_FIELDS + 2] = l0.ecx;
  out[W + LEAF_FIELDS + 3] = l0.edx;
  let n = W + FIXED_FIELDS;
  for (const s of states) {
    out[n++] = pool.maxes[i].xstate[s].eax;
    out[n++] = pool.maxes[i].xstate[s].ebx;
  }
  return n;
}

function hash(words: Uint32Array, n: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < n; k++) h = Math.imul(h ^ words[k], 0x01000193);
  return h;
}

function sameWords(a: Uint32Array, b: Uint32Array, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** One error per member the level does not fit (there should be none), audited once per class. */
export function levelFitErrors(level: CpuPolicy, pool: PoolBits, guest: GuestType | undefined): string[] {
  const states: number[] = [];
  for (let s = 2; s < 32; s++) if (level.xstate[0].eax & (1 << s)) states.push(s);
  const scratch = new Uint32Array(FEATURESET_WORDS + FIXED_FIELDS + 2 * states.length);
  const audited = new Map<number, { sig: Uint32Array; messages: string[] }[]>();
  const options = { guest };
  const misfits: (string[] | undefined)[] = [];
  pool.maxes.forEach((max, i) => {
    const n = signature(pool, i, states, scratch);
    const h = hash(scratch, n);
    const bucket = audited.get(h) ?? [];
    let entry = bucket.find((e) => sameWords(e.sig, scratch, n));
    if (!entry) {
      entry = { sig: scratch.slice(), messages: auditPolicy(level, max, options).map((f) => f.message) };
      bucket.push(entry);
      audited.set(h, bucket);
    }
    if (entry.messages.length) misfits[i] = entry.messages;
  });
  if (misfits.length === 0) return [];
  const errors: string[] = [];
  pool.hosts.forEach((host, i) => {
    const messages = misfits[pool.classOf[i]];
    if (messages) errors.push(`the level does not fit host ${host}: ${messages.join("; ")}`);
  });
  return errors;
}
