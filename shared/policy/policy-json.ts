// A serialised policy to and from its wire (JSON) form, whose shape
// shared/schemas/policy.ts defines; apart from the schema so that code which
// only converts (e.g. hashing, printing) does not load zod.

import { hex32, type LeafRecord, type MsrRecord, type SerialisedPolicy } from "./serialise.ts";
import type { SerialisedPolicyJson } from "../schemas/policy.ts";

const n32 = (s: string) => parseInt(s, 16) >>> 0;

export function policyToJson(s: SerialisedPolicy): SerialisedPolicyJson {
  return {
    leaves: s.leaves.map((l) => ({
      leaf: hex32(l.leaf),
      subleaf: hex32(l.subleaf),
      eax: hex32(l.eax),
      ebx: hex32(l.ebx),
      ecx: hex32(l.ecx),
      edx: hex32(l.edx),
    })),
    msrs: s.msrs.map((m) => ({ index: hex32(m.index), value: m.value.toString(16).padStart(16, "0") })),
  };
}

export function policyFromJson(j: SerialisedPolicyJson): SerialisedPolicy {
  const leaves: LeafRecord[] = j.leaves.map((l) => ({
    leaf: n32(l.leaf),
    subleaf: n32(l.subleaf),
    eax: n32(l.eax),
    ebx: n32(l.ebx),
    ecx: n32(l.ecx),
    edx: n32(l.edx),
  }));
  const msrs: MsrRecord[] = j.msrs.map((m) => ({
    index: n32(m.index),
    flags: m.flags === undefined ? 0 : n32(m.flags),
    value: BigInt(`0x${m.value}`),
  }));
  return { leaves, msrs };
}
