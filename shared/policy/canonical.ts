// Canonical JSON and a stable content hash of a policy: the serialised form,
// all-zero leaves kept, so two policies hash equal iff Xen would store the same.

import { hash as cryptoHash } from "node:crypto";
import { policyToJson } from "./policy-json.ts";
import type { CpuPolicy } from "./cpu-policy.ts";
import { serialisePolicy } from "./serialise.ts";

export function canonicalPolicyJson(p: CpuPolicy): string {
  const j = policyToJson(serialisePolicy(p));
  // Keys in a fixed order by construction; no whitespace.
  return JSON.stringify(j);
}

/** "sha256:<hex>" of the canonical JSON. */
export function policyHash(p: CpuPolicy): string {
  return `sha256:${cryptoHash("sha256", canonicalPolicyJson(p), "hex")}`;
}

/** "sha256:" and the first 12 hex digits of a policyHash, for tables and pages (the full hash goes where it is taken as input) */
export function shortPolicyHash(hash: string): string {
  return hash.slice(0, "sha256:".length + 12);
}
