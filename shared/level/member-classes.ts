// A fleet has few distinct CPU models: members with the same policy, max and
// host facts form one class, levelled once. Classes are found by the caller's
// content key (e.g. the policy hash an agent publishes), so no member's policy
// is read or compared word by word; a member without a key is a class of its own.

import type { CpuPolicy } from "../policy/cpu-policy.ts";
import type { HostFacts } from "./host-facts.ts";

export interface ClassedMember {
  host: string;
  policy: CpuPolicy;
  max?: CpuPolicy;
  facts?: HostFacts;
  /** identifies policy and max by content: members with equal keys must have equal policies and maxes */
  key?: string;
}

export interface MemberClasses<M extends ClassedMember> {
  /** the first member of each class, in order of first appearance */
  reps: M[];
  /** member index → class index */
  classOf: Uint32Array;
  /** class index → member index of its representative */
  firstMember: number[];
}

const sameFacts = (a: HostFacts | undefined, b: HostFacts | undefined) =>
  a?.tsc?.khz === b?.tsc?.khz && a?.tsc?.scaling === b?.tsc?.scaling && a?.lbrFormat === b?.lbrFormat;

export function memberClasses<M extends ClassedMember>(members: readonly M[]): MemberClasses<M> {
  const reps: M[] = [];
  const firstMember: number[] = [];
  const classOf = new Uint32Array(members.length);
  /** first class of each key; further classes with the same key chain through `next` */
  const byKey = new Map<string, number>();
  const next: number[] = [];
  for (let i = 0; i < members.length; i++) {
    const m = members[i];
    let c = m.key === undefined ? -1 : (byKey.get(m.key) ?? -1);
    let last = -1;
    while (c >= 0 && !sameFacts(reps[c].facts, m.facts)) {
      last = c;
      c = next[c];
    }
    if (c < 0) {
      c = reps.length;
      reps.push(m);
      firstMember.push(i);
      next.push(-1);
      if (m.key !== undefined && last < 0) byKey.set(m.key, c);
      else if (last >= 0) next[last] = c;
    }
    classOf[i] = c;
  }
  return { reps, classOf, firstMember };
}
